"""A refused storage.url is shown without its password (config errors are printed and logged)."""

from __future__ import annotations

import pytest

from core.config import ConfigError
from runtime.config import config_from_dict


@pytest.mark.parametrize(
    "url", ["mysql://olga:s3cr3t@db:3306/x", "mysql://olga:s3@cr3t@db/x", "oracle://olga:s3cr3t@db"]
)
def test_an_unsupported_storage_url_is_shown_without_its_password(tmp_path, url):
    with pytest.raises(ConfigError) as refused:
        config_from_dict({"data_dir": str(tmp_path), "storage": {"url": url}}, base_dir=tmp_path)
    assert "s3cr3t" not in str(refused.value) and "cr3t" not in str(refused.value)
    assert "olga:***@db" in str(refused.value)
