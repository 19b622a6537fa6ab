"""RFC 9421 at its edges: derived components, field parameters, labels and algorithms."""

from __future__ import annotations

import pytest

from federation.errors import InvalidSignature, MissingSignature
from federation.keys import KeyPair
from federation.signatures import rfc9421
from federation.structured_fields import (
    Component,
    parse_signature_input,
    parse_signature_values,
    reserialize,
)

HEADERS = {"host": "jonction.test", "content-type": "application/activity+json"}


def _request(uri: str, headers: dict[str, str] | None = None) -> rfc9421.HttpMessage:
    return rfc9421.HttpMessage(headers=headers or dict(HEADERS), method="POST", target_uri=uri)


def _line(message: rfc9421.HttpMessage, component: Component) -> str:
    return rfc9421.build_signature_base(message, [component], {}).splitlines()[0]


@pytest.mark.parametrize(
    ("uri", "authority"),
    [
        ("https://Jonction.TEST/inbox", "jonction.test"),
        ("https://jonction.test:443/inbox", "jonction.test"),
        ("HTTP://jonction.test:80/inbox", "jonction.test"),
        ("http://jonction.test:8080/inbox", "jonction.test:8080"),
        ("https://jonction.test:80/inbox", "jonction.test:80"),
        ("https://[2001:DB8::1]:8443/inbox", "[2001:db8::1]:8443"),
        ("https://[2001:db8::1]/inbox", "[2001:db8::1]"),
    ],
)
def test_the_authority_is_normalised(uri: str, authority: str) -> None:
    assert _line(_request(uri), Component("@authority")) == f'"@authority": {authority}'


def test_a_target_without_a_host_has_no_authority_to_sign() -> None:
    with pytest.raises(InvalidSignature, match=r"^@authority covered on a target without a host$"):
        _line(_request("https:///inbox"), Component("@authority"))


@pytest.mark.parametrize(
    ("uri", "name", "value"),
    [
        ("HTTPS://jonction.test/a?b=1", "@scheme", "https"),
        ("https://jonction.test/a?b=1", "@request-target", "/a?b=1"),
        ("https://jonction.test/a", "@request-target", "/a"),
        ("https://jonction.test", "@request-target", "/"),
        ("https://jonction.test", "@path", "/"),
        ("https://jonction.test/a/b?c", "@path", "/a/b"),
        ("https://jonction.test/a", "@query", "?"),
        ("https://jonction.test/a?b=1&c", "@query", "?b=1&c"),
        ("https://jonction.test/a?b=1", "@target-uri", "https://jonction.test/a?b=1"),
        ("https://jonction.test/a", "@method", "POST"),
    ],
)
def test_derived_components_of_a_request(uri: str, name: str, value: str) -> None:
    assert _line(_request(uri), Component(name)) == f'"{name}": {value}'


def test_a_query_parameter_is_percent_encoded() -> None:
    message = _request("https://jonction.test/a?q=un%20caf%C3%A9/x&x=1")
    component = Component("@query-param", (("name", "q"),))
    assert _line(message, component) == '"@query-param";name="q": un%20caf%C3%A9%2Fx'


def test_a_query_parameter_may_be_blank() -> None:
    message = _request("https://jonction.test/a?q=&x=1")
    component = Component("@query-param", (("name", "q"),))
    assert _line(message, component) == '"@query-param";name="q": '


@pytest.mark.parametrize(
    ("uri", "component", "reason"),
    [
        (
            "https://jonction.test/a?q=1&q=2",
            Component("@query-param", (("name", "q"),)),
            r"^@query-param 'q' is absent or repeated$",
        ),
        (
            "https://jonction.test/a?r=1",
            Component("@query-param", (("name", "q"),)),
            r"^@query-param 'q' is absent or repeated$",
        ),
        (
            "https://jonction.test/a?q=1",
            Component("@query-param"),
            r"^@query-param needs a name parameter$",
        ),
        ("https://jonction.test/a", Component("@status"), r"^@status covered on a request$"),
        (
            "https://jonction.test/a",
            Component("@fragment"),
            r"^unknown derived component @fragment$",
        ),
    ],
)
def test_derived_components_that_cannot_be_had_say_why(
    uri: str, component: Component, reason: str
) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        _line(_request(uri), component)


def test_a_response_has_a_status_but_no_request_components() -> None:
    response = rfc9421.HttpMessage(headers={}, status=202)
    assert _line(response, Component("@status")) == '"@status": 202'
    with pytest.raises(InvalidSignature, match=r"^@method covered on a response$"):
        _line(response, Component("@method"))
    with pytest.raises(InvalidSignature, match=r"^a derived request component was asked of a"):
        _line(response, Component("@path"))


@pytest.mark.parametrize(
    ("component", "reason"),
    [
        (Component("digest"), r"^covered field digest is absent$"),
        (Component("example-dict", (("key", "z"),)), r"^example-dict has no member 'z'$"),
        (Component("content-type", (("bs", True),)), "^unsupported component parameter"),
        (Component("content-type", (("req", True),)), "^unsupported component parameter"),
        (Component("content-type", (("tr", True),)), "^unsupported component parameter"),
        (Component("broken", (("key", "a"),)), r"^broken is not a structured dictionary$"),
        (Component("broken", (("sf", True),)), r"^broken is not a structured field$"),
    ],
)
def test_fields_that_cannot_be_covered_say_why(component: Component, reason: str) -> None:
    headers = {**HEADERS, "example-dict": "a=1", "broken": "a=(unclosed"}
    message = _request("https://jonction.test/a", headers)
    with pytest.raises(InvalidSignature, match=reason):
        _line(message, component)


def test_a_plain_field_is_covered_as_sent() -> None:
    message = _request("https://jonction.test/a")
    assert _line(message, Component("content-type")) == (
        '"content-type": application/activity+json'
    )


def test_a_component_covered_twice_is_refused() -> None:
    message = _request("https://jonction.test/a")
    with pytest.raises(InvalidSignature, match=r'^component "@method" covered twice$'):
        rfc9421.build_signature_base(message, [Component("@method"), Component("@method")], {})


def test_the_base_ends_with_the_signature_parameters() -> None:
    message = _request("https://jonction.test/a")
    base = rfc9421.build_signature_base(message, [Component("@method")], {"created": 1})
    assert base == '"@method": POST\n"@signature-params": ("@method");created=1'


def test_a_signature_is_written_under_its_label_and_the_keys_algorithm(rsa_keys: KeyPair) -> None:
    # Given a message signed without an alg parameter, under the label "paquis"
    message = _request("https://jonction.test/a")
    headers = rfc9421.sign_message(
        message, [Component("@method")], {"keyid": "k"}, rsa_keys.private_pem, label="paquis"
    )
    # Then both headers carry the label, and it verifies as RSA PKCS#1 v1.5
    assert headers["Signature-Input"] == 'paquis=("@method");keyid="k"'
    assert headers["Signature"].startswith("paquis=:")
    (signature,) = rfc9421.parse_signatures(
        {"signature-input": headers["Signature-Input"], "signature": headers["Signature"]}
    )
    assert signature.label == "paquis" and signature.key_id == "k"
    rfc9421.verify_message(message, signature, rsa_keys.public_pem)
    rfc9421.verify_message(message, signature, rsa_keys.public_pem, "rsa-v1_5-sha256")
    with pytest.raises(InvalidSignature):
        rfc9421.verify_message(message, signature, rsa_keys.public_pem, "rsa-pss-sha512")


@pytest.mark.parametrize("algorithm", ["rsa-pss-sha512", "rsa-v1_5-sha256"])
def test_the_alg_parameter_chooses_the_algorithm_a_signature_is_made_with(
    rsa_keys: KeyPair, algorithm: str
) -> None:
    # Given a message signed with an alg parameter and no algorithm given apart
    message = _request("https://jonction.test/a")
    headers = rfc9421.sign_message(
        message, [Component("@method")], {"alg": algorithm}, rsa_keys.private_pem
    )
    (signature,) = rfc9421.parse_signatures(
        {"signature-input": headers["Signature-Input"], "signature": headers["Signature"]}
    )
    # Then it was made with that algorithm: it verifies as such, and as no other
    rfc9421.verify_message(message, signature, rsa_keys.public_pem, algorithm)
    other = "rsa-v1_5-sha256" if algorithm == "rsa-pss-sha512" else "rsa-pss-sha512"
    with pytest.raises(InvalidSignature):
        rfc9421.verify_message(message, signature, rsa_keys.public_pem, other)


def test_a_shared_secret_signs_with_the_alg_parameter_it_is_given() -> None:
    message = _request("https://jonction.test/a")
    headers = rfc9421.sign_message(message, [Component("@method")], {"alg": "hmac-sha256"}, b"k")
    (signature,) = rfc9421.parse_signatures(
        {"signature-input": headers["Signature-Input"], "signature": headers["Signature"]}
    )
    rfc9421.verify_message(message, signature, b"k")


def test_a_shared_secret_needs_an_explicit_algorithm() -> None:
    message = _request("https://jonction.test/a")
    with pytest.raises(InvalidSignature, match=r"^an HMAC signature needs an explicit alg$"):
        rfc9421.sign_message(message, [Component("@method")], {}, b"secret")
    headers = rfc9421.sign_message(
        message, [Component("@method")], {}, b"secret", algorithm="hmac-sha256"
    )
    (entry,) = parse_signature_input(headers["Signature-Input"])
    (signature,) = rfc9421.parse_signatures(
        {"signature-input": headers["Signature-Input"], "signature": headers["Signature"]}
    )
    assert signature.signature_input == entry
    with pytest.raises(InvalidSignature, match=r"^an HMAC signature needs an explicit alg$"):
        rfc9421.verify_message(message, signature, b"secret")
    rfc9421.verify_message(message, signature, b"secret", "hmac-sha256")


def test_an_unsupported_signed_algorithm_is_refused(rsa_keys: KeyPair) -> None:
    message = _request("https://jonction.test/a")
    headers = rfc9421.sign_message(
        message, [Component("@method")], {"alg": "rsa-v1_5-sha256"}, rsa_keys.private_pem
    )
    forged = headers["Signature-Input"].replace("rsa-v1_5-sha256", "rsa-sha1")
    (signature,) = rfc9421.parse_signatures(
        {"signature-input": forged, "signature": headers["Signature"]}
    )
    with pytest.raises(InvalidSignature, match=r"^unsupported alg 'rsa-sha1'$"):
        rfc9421.verify_message(message, signature, rsa_keys.public_pem)


def test_signatures_need_both_headers_and_a_shared_label() -> None:
    with pytest.raises(MissingSignature, match=r"^Signature-Input and Signature are both"):
        rfc9421.parse_signatures({"signature-input": 'a=("@method")'})
    with pytest.raises(MissingSignature, match=r"^Signature-Input and Signature are both"):
        rfc9421.parse_signatures({"signature": "a=:YWJj:"})
    with pytest.raises(MissingSignature, match=r"^no Signature-Input label has a matching"):
        rfc9421.parse_signatures({"signature-input": 'a=("@method")', "signature": "b=:YWJj:"})
    found = rfc9421.parse_signatures(
        {"signature-input": 'a=("@method"), b=("@path")', "signature": "b=:YWJj:"}
    )
    assert [(s.label, s.covered, s.signature) for s in found] == [("b", ["@path"], b"abc")]
    assert found[0].key_id is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("sig1=(", r"^Signature-Input is not a structured dictionary$"),
        ("sig1=:AAAA:", r"^Signature-Input sig1 is not an inner list$"),
        ('sig1=("@method" 7)', r"^Signature-Input sig1 names a non-string component$"),
    ],
)
def test_a_signature_input_that_cannot_be_read_is_refused_with_its_reason(
    value: str, reason: str
) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        parse_signature_input(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("sig1=:AAAA", r"^Signature is not a structured dictionary$"),
        ('sig1="AAAA"', r"^Signature sig1 is not a byte sequence$"),
    ],
)
def test_a_signature_value_that_cannot_be_read_is_refused_with_its_reason(
    value: str, reason: str
) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        parse_signature_values(value)


def test_a_covered_field_that_is_a_list_is_signed_in_its_canonical_form() -> None:
    # A list whose members cannot be a dictionary's keys, and one string item, as `sf` reads them
    assert reserialize("1,   2;a=3", "Example-List") == "1, 2;a=3"
    assert reserialize('"text"', "Example-Item") == '"text"'
