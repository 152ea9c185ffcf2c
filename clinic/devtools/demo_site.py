"""A demo clinic web page with the chat widget, served by `make run` on :8000.

It stands in for the clinic's real website: a page with a strict Content
Security Policy (no inline script or style) that embeds the widget with one
<script> tag, so what works here works on a real page.

    python -m clinic.devtools.demo_site [--port 8000] [--bot-url http://localhost:5005]
"""

from __future__ import annotations

import argparse
import os
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader
from sanic import Sanic, response

from clinic import PROJECT_ROOT
from clinic.profile import clinic_profile

WIDGET_DIR = PROJECT_ROOT / "widget"


def content_security_policy(bot_url: str) -> str:
    bot = urlsplit(bot_url)
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src {bot.scheme}://{bot.netloc}; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def demo_site(bot_url: str) -> Sanic:
    app = Sanic("clinic_demo_site")
    page = Environment(loader=FileSystemLoader(WIDGET_DIR / "demo"), autoescape=True).get_template("index.html")
    headers = {
        "Content-Security-Policy": content_security_policy(bot_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }

    @app.get("/")
    async def home(request):
        return response.html(page.render(bot_url=bot_url, profile=clinic_profile()), headers=headers)

    @app.get("/widget/<name:str>")
    async def widget_file(request, name: str):
        if name not in ("clinic-chat.js", "clinic-chat.css", "demo.css"):
            return response.text("not found", status=404)
        folder = WIDGET_DIR / "demo" if name == "demo.css" else WIDGET_DIR
        return await response.file(folder / name, headers=headers)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("CLINIC_DEMO_PORT", 8000)))
    parser.add_argument("--bot-url", default=os.environ.get("CLINIC_BOT_URL", "http://localhost:5005"))
    args = parser.parse_args()
    demo_site(args.bot_url).run(host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
