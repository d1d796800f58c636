"""A thread per connection (the book's WorkerThread): the loop goes straight
back to accept()."""
from threading import Thread

from demos.wire import handle, main


def serve(server_socket):
    while True:
        client, _ = server_socket.accept()  # blocking: the next connection
        # no bound: n clients, n threads
        Thread(target=handle, args=(client,)).start()


if __name__ == "__main__":
    main(serve)
