"""Small real files for upload tests, made on the spot: a PDF (pypdf), a PNG and a
JPEG (Pillow), and things that only look like them."""
import io

from PIL import Image
from pypdf import PdfWriter


def pdf_bytes(pages=1):
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_bytes(image_format="PNG", size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (29, 78, 137)).save(buffer, format=image_format)
    return buffer.getvalue()


def upload(data, name):
    """A file for the test client's multipart form data."""
    return (io.BytesIO(data), name)
