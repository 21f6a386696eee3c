"""A bare Flask app with the package's templates and its Chinese catalogue compiled, for form pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Babel

import rma_orchestrator.web

WEB = Path(rma_orchestrator.web.__file__).parent
CATALOGUE = WEB / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="session")
def translations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zh_CN catalogue compiled into a directory of its own (the source tree keeps only the .po).

    Under ``zh``: Babel reads ``zh_CN`` as ``zh_Hans_CN`` and looks there, then in ``zh``.
    """
    root = tmp_path_factory.mktemp("translations")
    target = root / "zh" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with CATALOGUE.open("rb") as source:
        catalog = read_po(source)
    with (target / "messages.mo").open("wb") as out:
        write_mo(out, catalog)
    return root


@pytest.fixture
def app(translations: Path) -> Iterator[Flask]:
    app = Flask("rma_orchestrator.web", template_folder=str(WEB / "templates"))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    Babel(app)
    with app.app_context():
        yield app
