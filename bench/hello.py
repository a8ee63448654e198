"""The bench's yardstick: a bare Flask app answering "hello", served by the same
gunicorn (4 sync workers) in the same run as the application."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"
