"""One request after another: each waits for the one before. n × delay."""
import requests

from demos.cli import main


def fetch(url):
    response = requests.get(url)  # blocking: nothing else happens meanwhile
    response.raise_for_status()
    return response.text


def fetch_all(urls):
    return [fetch(url) for url in urls]


if __name__ == "__main__":
    main(fetch_all)
