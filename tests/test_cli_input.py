"""Bad input to the CLI is refused with a message naming what is wrong (exit 2 via InputError)."""
import pytest

from oitwatch.commands.check import parse_url
from oitwatch.errors import InputError
from oitwatch.registry import load_laos


@pytest.mark.parametrize("raw", ["javascript:alert(1)", "mailto:a@b.go.th", "data:text/html,x",
                                 "ftp://x.go.th/", "http://x.go.th:99999/", "http://x.go.th:abc/", "", "http://"])
def test_non_website_urls_are_input_errors(raw):
    with pytest.raises(InputError, match="URL"):
        parse_url(raw)


@pytest.mark.parametrize("raw,expected", [("example.go.th", "http://example.go.th"),
                                          ("example.go.th:8080/x", "http://example.go.th:8080/x"),
                                          ("https://a.go.th/", "https://a.go.th/")])
def test_website_urls_are_accepted(raw, expected):
    assert parse_url(raw) == expected


def test_registry_not_in_utf8_names_the_file(tmp_path):
    path = tmp_path / "laos.csv"
    header = "lao_id,lao_type,lao_type_th,name_th,name_en,province_code,amphoe_code,tambon_code,url\n"
    path.write_bytes(header.encode() + "X-1,TAO,x,".encode() + "ทดสอบ".encode("tis-620") + b",T,49,4901,490101,http://x.go.th/\n")
    with pytest.raises(InputError, match=r"laos\.csv: not UTF-8"):
        load_laos(path)
