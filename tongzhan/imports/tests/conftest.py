import pytest


@pytest.fixture(autouse=True)
def _imports_in_a_temporary_data_dir(settings, tmp_path):
    """Encrypted uploads and progress files go to a folder of the test's own (the field keys stay put)."""
    settings.DATA_DIR = tmp_path
