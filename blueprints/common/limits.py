"""Rate limits of the parents' forms: counted per account (per address when nobody is
logged in), and, with `deduct_when=succeeded`, only for what was actually done."""
from flask import request
from flask_login import current_user


def per_account(area):
    def key():
        who = current_user.id if current_user.is_authenticated else request.remote_addr
        return f"{area}:{who}"

    return key


def succeeded(response):
    return response.status_code < 400
