"""The exact bytes applications send and the lines curl prints, in one place for tests.

Sources: nginx ``html/index.html`` (615 bytes) and ``ngx_http_special_response.c`` (error
pages end in CRLF; ``server_tokens on`` puts ``nginx/<version>`` in the footer); Apache
httpd's ``htdocs/index.html`` and its built-in 404 (``ServerSignature`` is off in the
official image, so there is no ``<address>`` line); CPython ``http.server``
(``DEFAULT_ERROR_MESSAGE`` and ``list_directory``); BusyBox ``networking/httpd.c``
(``send_headers``); Go ``net/http`` (``http.NotFound``, the reply of a TLS server to plain
HTTP); curl's messages for exit codes 1, 52 and 56 (``lib/http.c``, ``lib/transfer.c``).
"""

from __future__ import annotations

__all__ = [
    "CURL_EMPTY_REPLY",
    "CURL_HTTP09",
    "CURL_RESET",
    "CURL_USER_AGENT",
    "GO_NOT_FOUND",
    "HTTPD_404",
    "HTTPD_IT_WORKS",
    "HTTP_TO_HTTPS",
    "NETEXEC_ROOT",
    "NGINX_WELCOME",
    "busybox_error_page",
    "nginx_error_page",
    "python_directory_listing",
    "python_error_page",
]

CURL_HTTP09 = "curl: (1) Received HTTP/0.9 when not allowed"
CURL_EMPTY_REPLY = "curl: (52) Empty reply from server"
CURL_RESET = "curl: (56) Recv failure: Connection reset by peer"

# The simulated client is curl; its User-Agent appears where an app echoes the request
# (traefik/whoami). The version is a fixed, documented choice: the simulator has no real curl.
CURL_USER_AGENT = "curl/8.11.1"

NGINX_WELCOME = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""

HTTPD_IT_WORKS = "<html><body><h1>It works!</h1></body></html>\n"

HTTPD_404 = """<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>404 Not Found</title>
</head><body>
<h1>Not Found</h1>
<p>The requested URL was not found on this server.</p>
</body></html>
"""

GO_NOT_FOUND = "404 page not found\n"
HTTP_TO_HTTPS = "Client sent an HTTP request to an HTTPS server.\n"

# agnhost netexec answers "/" with fmt.Fprintf(w, "NOW: %v", time.Now()). The simulator is
# given no clock when it answers, and a made-up timestamp would look real; so the body keeps
# agnhost's "NOW: " prefix and says plainly that the time is not simulated.
NETEXEC_ROOT = "NOW: <time not simulated>"


def nginx_error_page(status: int, reason: str, version: str) -> str:
    """nginx's built-in error page; the footer is ``nginx/<version>``, or ``nginx`` if unknown."""
    crlf = "\r\n"
    footer = f"nginx/{version}" if version else "nginx"
    return crlf.join(
        [
            "<html>",
            f"<head><title>{status} {reason}</title></head>",
            "<body>",
            f"<center><h1>{status} {reason}</h1></center>",
            f"<hr><center>{footer}</center>",
            "</body>",
            "</html>",
            "",
        ]
    )


def python_error_page(status: int, message: str, explain: str) -> str:
    """CPython ``http.server``'s ``DEFAULT_ERROR_MESSAGE``."""
    return (
        "<!DOCTYPE HTML>\n"
        '<html lang="en">\n'
        "    <head>\n"
        '        <meta charset="utf-8">\n'
        "        <title>Error response</title>\n"
        "    </head>\n"
        "    <body>\n"
        "        <h1>Error response</h1>\n"
        f"        <p>Error code: {status}</p>\n"
        f"        <p>Message: {message}.</p>\n"
        f"        <p>Error code explanation: {status} - {explain}.</p>\n"
        "    </body>\n"
        "</html>\n"
    )


def python_directory_listing(display_path: str, names: tuple[str, ...] = ()) -> str:
    """``SimpleHTTPRequestHandler.list_directory`` for a directory holding ``names``."""
    title = f"Directory listing for {display_path}"
    lines = [
        "<!DOCTYPE HTML>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{title}</title>\n</head>",
        f"<body>\n<h1>{title}</h1>",
        "<hr>\n<ul>",
        *(f'<li><a href="{name}">{name}</a></li>' for name in names),
        "</ul>\n<hr>\n</body>\n</html>\n",
    ]
    return "\n".join(lines)


def busybox_error_page(status: int, reason: str, info: str) -> str:
    """BusyBox httpd's error page (``send_headers`` with an info string)."""
    return (
        f"<HTML><HEAD><TITLE>{status} {reason}</TITLE></HEAD>\n"
        f"<BODY><H1>{status} {reason}</H1>\n"
        f"{info}\n"
        "</BODY></HTML>\n"
    )
