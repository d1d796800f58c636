"""A thread per connection (the book's WorkerThread): the loop goes straight back to accept()."""
from threading import Thread

from demos.wire import handle, main


def serve(server_socket):
    while True:
        client, _ = server_socket.accept()  # blocking: waits for the next connection
        Thread(target=handle, args=(client,)).start()  # no bound: n clients, n threads


if __name__ == "__main__":
    main(serve)
