"""The development mail sink: an aiosmtpd SMTP server that files each message it
receives under instance/mail/, where the /dev/boite-mail page reads them."""
import os
import time
import uuid

from aiosmtpd.controller import Controller


class FolderHandler:
    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        path = os.path.join(self.folder, name)
        with open(path, "wb") as handle:
            handle.write(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def serve(folder, host="127.0.0.1", port=8025):
    controller = Controller(FolderHandler(folder), hostname=host, port=port)
    controller.start()
    return controller
