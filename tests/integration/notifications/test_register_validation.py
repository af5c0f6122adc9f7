"""Bad input to the three ways of placing an order: a 400 problem naming the field, and nothing stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from orderdesk.settings import Settings
from tests.conftest import Clock
from tests.factories.notifications import email_order, order, sms_order

API = "/notifications/api/v1"
REF = "ref-1"  # the sendersReference of every factory body
ORDERS = f"{API}/orders"
EMAIL = f"{API}/orders/email"
SMS = f"{API}/orders/sms"


async def count_stored(client: httpx.AsyncClient, auth: dict[str, str], ref: str = REF) -> int:
    response = await client.get(ORDERS, params={"sendersReference": ref}, headers=auth)
    assert response.status_code == 200
    count: int = response.json()["count"]
    return count


async def assert_refused(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    path: str,
    field: str,
    *,
    body: Any = None,
    content: bytes | None = None,
) -> dict[str, Any]:
    """POST the body; expect a 400 problem whose `errors` name `field`, and no order stored."""
    if content is None:
        response = await client.post(path, json=body, headers=auth)
    else:
        headers = {**auth, "Content-Type": "application/json"}
        response = await client.post(path, content=content, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == 400
    assert problem["type"]
    assert problem["title"]
    assert problem["traceId"]
    assert field in problem["errors"], problem["errors"]
    assert all(problem["errors"][field])
    assert await count_stored(client, auth) == 0
    return problem


async def accepted(client: httpx.AsyncClient, auth: dict[str, str], path: str, body: Any) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=auth)
    assert response.status_code == 202, response.text
    created: dict[str, Any] = response.json()
    return created


async def stored_order(client: httpx.AsyncClient, auth: dict[str, str], order_id: str) -> dict[str, Any]:
    response = await client.get(f"{ORDERS}/{order_id}", headers=auth)
    assert response.status_code == 200
    stored: dict[str, Any] = response.json()
    return stored


# ---- the body as a whole ---------------------------------------------------------------------


@pytest.mark.parametrize("path", [ORDERS, EMAIL, SMS])
async def test_register_order__malformed_json__bad_request_naming_the_body(
    client: httpx.AsyncClient, auth: dict[str, str], path: str
) -> None:
    problem = await assert_refused(client, auth, path, "$", content=b'{"sendersReference": "ref-1",')
    assert problem["errors"]["$"] == ["The request body is not valid JSON."]


@pytest.mark.parametrize(
    "content",
    [b"[" * 100_000, b'{"a":' * 100_000, b'{"subject": "\xff"}', b"1" * 5000, b"\xff\xfe{}"],
    ids=["nested-arrays", "nested-objects", "invalid-utf8", "huge-integer", "utf16-bom"],
)
async def test_register_order__body_json_cannot_parse__bad_request_naming_the_body(
    client: httpx.AsyncClient, auth: dict[str, str], content: bytes
) -> None:
    problem = await assert_refused(client, auth, EMAIL, "$", content=content)
    assert problem["errors"]["$"] == ["The request body is not valid JSON."]


@pytest.mark.parametrize("path", [ORDERS, EMAIL, SMS])
async def test_register_order__json_array_instead_of_object__bad_request_naming_the_body(
    client: httpx.AsyncClient, auth: dict[str, str], path: str
) -> None:
    await assert_refused(client, auth, path, "$", body=[email_order()])


async def test_register_order__empty_body__bad_request_naming_the_body(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await assert_refused(client, auth, EMAIL, "$", content=b"")


async def test_register_order__body_of_ten_megabytes__content_too_large_and_server_still_answers(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    huge = email_order(body="x" * (10 * 1024 * 1024))
    response = await client.post(EMAIL, json=huge, headers=auth)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 413
    assert problem["title"] == "Content Too Large"
    assert problem["traceId"]

    assert await count_stored(client, auth) == 0
    await accepted(client, auth, EMAIL, email_order())


async def test_register_order__body_streamed_without_length_over_the_limit__content_too_large(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    chunk = b" " * 65536
    chunks = settings.max_request_bytes // len(chunk) + 2

    async def stream() -> Any:
        yield b'{"body": "'
        for _ in range(chunks):
            yield chunk

    headers = {**auth, "Content-Type": "application/json"}
    response = await client.post(EMAIL, content=stream(), headers=headers)
    assert response.status_code == 413
    assert response.json()["status"] == 413


# ---- wrong types and unknown enum values -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (EMAIL, email_order(recipients="recipient@domain.com"), "recipients"),
        (EMAIL, email_order(recipients=None), "recipients"),
        (EMAIL, email_order(recipients=["recipient@domain.com"]), "recipients[0]"),
        (EMAIL, email_order(ignoreReservation="yes"), "ignoreReservation"),
        (EMAIL, email_order(subject=42), "subject"),
        (EMAIL, email_order(sendersReference=12), "sendersReference"),
        (EMAIL, email_order(recipients=[{"emailAddress": 7}]), "recipients[0].emailAddress"),
        (EMAIL, email_order(requestedSendTime=1900000000), "requestedSendTime"),
        (EMAIL, email_order(requestedSendTime="1900000000"), "requestedSendTime"),
        (SMS, sms_order(body=["A text"]), "body"),
        (SMS, sms_order(senderNumber=12345), "senderNumber"),
        (ORDERS, order(emailTemplate="A body"), "emailTemplate"),
        (ORDERS, order(emailTemplate={"subject": 1, "body": "A body"}), "emailTemplate.subject"),
    ],
)
async def test_register_order__wrong_type__bad_request_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, body: dict[str, Any], field: str
) -> None:
    await assert_refused(client, auth, path, field, body=body)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (ORDERS, order(notificationChannel="Fax"), "notificationChannel"),
        (ORDERS, order(notificationChannel=None), "notificationChannel"),
        (EMAIL, email_order(contentType="Markdown"), "contentType"),
        (
            ORDERS,
            order(emailTemplate={"subject": "A subject", "body": "A body", "contentType": "Rtf"}),
            "emailTemplate.contentType",
        ),
    ],
)
async def test_register_order__unknown_enum_value__bad_request_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, body: dict[str, Any], field: str
) -> None:
    await assert_refused(client, auth, path, field, body=body)


async def test_register_order__notification_channel_missing__bad_request_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = order()
    del body["notificationChannel"]
    await assert_refused(client, auth, ORDERS, "notificationChannel", body=body)


async def test_register_order__enum_values_in_lower_case__accepted_and_stored_canonically(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    template = {"subject": "A subject", "body": "A body", "contentType": "html"}
    created = await accepted(client, auth, ORDERS, order(notificationChannel="email", emailTemplate=template))
    stored = await stored_order(client, auth, created["orderId"])
    assert stored["notificationChannel"] == "Email"
    assert stored["emailTemplate"]["contentType"] == "Html"


# ---- recipients ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [(ORDERS, order(recipients=[])), (EMAIL, email_order(recipients=[])), (SMS, sms_order(recipients=[]))],
)
async def test_register_order__empty_recipients__bad_request_naming_recipients(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    problem = await assert_refused(client, auth, path, "recipients", body=body)
    assert problem["errors"]["recipients"] == ["One or more recipient is required."]


async def test_register_order__recipients_missing__bad_request_naming_recipients(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = email_order()
    del body["recipients"]
    await assert_refused(client, auth, EMAIL, "recipients", body=body)


@pytest.mark.parametrize(
    ("recipient", "field"),
    [
        ({"nationalIdentityNumber": "0783739927"}, "recipients[0].nationalIdentityNumber"),
        ({"nationalIdentityNumber": "078373992751"}, "recipients[0].nationalIdentityNumber"),
        ({"nationalIdentityNumber": "0783739927x"}, "recipients[0].nationalIdentityNumber"),
        ({"organizationNumber": "31100017"}, "recipients[0].organizationNumber"),
        ({"organizationNumber": "311 000 179"}, "recipients[0].organizationNumber"),
        ({"emailAddress": "recipient@domain"}, "recipients[0].emailAddress"),
        ({"emailAddress": "a@b.no;c@d.no"}, "recipients[0].emailAddress"),
        ({"emailAddress": "recipient at domain.com"}, "recipients[0].emailAddress"),
    ],
)
async def test_register_email_order__malformed_identifier__bad_request_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str], recipient: dict[str, str], field: str
) -> None:
    await assert_refused(client, auth, EMAIL, field, body=email_order(recipients=[recipient]))


async def test_register_email_order__nin_of_ten_digits__bad_request(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = email_order(recipients=[{"nationalIdentityNumber": "0783739927"}])
    problem = await assert_refused(client, auth, EMAIL, "recipients[0].nationalIdentityNumber", body=body)
    assert problem["errors"]["recipients[0].nationalIdentityNumber"] == [
        "National identity number must be 11 digits long."
    ]


async def test_register_email_order__error_in_second_recipient__key_names_its_index(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    recipients = [{"emailAddress": "ok@domain.com"}, {"organizationNumber": "31100017"}]
    problem = await assert_refused(
        client, auth, EMAIL, "recipients[1].organizationNumber", body=email_order(recipients=recipients)
    )
    assert list(problem["errors"]) == ["recipients[1].organizationNumber"]


@pytest.mark.parametrize(
    "mobile", ["+47 123", "+47 99999999", "++4799999999", "+47abcdefgh", "+4712", "99999999"]
)
async def test_register_sms_order__malformed_mobile_number__bad_request_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str], mobile: str
) -> None:
    body = sms_order(recipients=[{"mobileNumber": mobile}])
    await assert_refused(client, auth, SMS, "recipients[0].mobileNumber", body=body)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            EMAIL,
            email_order(recipients=[{"nationalIdentityNumber": "07837399275", "emailAddress": "a@b.no"}]),
        ),
        (SMS, sms_order(recipients=[{"organizationNumber": "311000179", "mobileNumber": "+4799999999"}])),
        (
            SMS,
            sms_order(
                recipients=[{"nationalIdentityNumber": "07837399275", "organizationNumber": "311000179"}]
            ),
        ),
    ],
    ids=["nin-with-email", "org-with-mobile", "nin-with-org"],
)
async def test_register_order__identifiers_combined__bad_request_naming_the_recipient(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    await assert_refused(client, auth, path, "recipients[0]", body=body)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (EMAIL, email_order(recipients=[{"mobileNumber": "+4799999999"}])),
        (ORDERS, order(recipients=[{"mobileNumber": "+4799999999"}])),
        (SMS, sms_order(recipients=[{"emailAddress": "recipient@domain.com"}])),
        (EMAIL, email_order(recipients=[{}])),
    ],
    ids=["email-endpoint-mobile-only", "email-channel-mobile-only", "sms-endpoint-email-only", "empty"],
)
async def test_register_order__recipient_without_address_for_the_channel__bad_request_naming_it(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    await assert_refused(client, auth, path, "recipients[0]", body=body)


async def test_register_order__email_and_mobile_together__accepted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    recipients = [{"emailAddress": "recipient@domain.com", "mobileNumber": "+4799999999"}]
    await accepted(client, auth, EMAIL, email_order(recipients=recipients))


# ---- send time and condition endpoint --------------------------------------------------------


async def test_register_order__send_time_without_zone__bad_request(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = email_order(requestedSendTime="2030-01-01T09:00:00")
    problem = await assert_refused(client, auth, EMAIL, "requestedSendTime", body=body)
    assert problem["errors"]["requestedSendTime"] == [
        "The requested send time value must have specified a time zone."
    ]


@pytest.mark.parametrize("value", ["tomorrow", "2030-13-01T09:00:00Z", "", True])
async def test_register_order__send_time_not_a_date_time__bad_request(
    client: httpx.AsyncClient, auth: dict[str, str], value: Any
) -> None:
    await assert_refused(client, auth, EMAIL, "requestedSendTime", body=email_order(requestedSendTime=value))


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
async def test_register_order__send_time_beyond_the_utc_range__bad_request(
    client: httpx.AsyncClient, auth: dict[str, str], value: str
) -> None:
    await assert_refused(client, auth, EMAIL, "requestedSendTime", body=email_order(requestedSendTime=value))


async def test_register_order__send_time_an_hour_ago__bad_request(
    client: httpx.AsyncClient, auth: dict[str, str], clock: Clock
) -> None:
    body = email_order(requestedSendTime=(clock() - timedelta(hours=1)).isoformat())
    problem = await assert_refused(client, auth, EMAIL, "requestedSendTime", body=body)
    assert problem["errors"]["requestedSendTime"] == [
        "Send time must be in the future. Leave blank to send immediately."
    ]


async def test_register_order__send_time_four_minutes_ago__accepted(
    client: httpx.AsyncClient, auth: dict[str, str], clock: Clock
) -> None:
    body = email_order(requestedSendTime=(clock() - timedelta(minutes=4)).isoformat())
    await accepted(client, auth, EMAIL, body)
    assert await count_stored(client, auth) == 1


async def test_register_order__send_time_in_another_zone__stored_as_the_same_instant(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await accepted(client, auth, EMAIL, email_order(requestedSendTime="2099-01-01T09:00:00+01:00"))
    stored = await stored_order(client, auth, created["orderId"])
    assert stored["requestedSendTime"].startswith("2099-01-01T08:00:00")


@pytest.mark.parametrize(
    "endpoint",
    [
        "/relative/path",
        "ftp://example.com/condition",
        "example.com/condition",
        "http://",
        "http://exa mple.com/",
    ],
)
async def test_register_order__condition_endpoint_not_an_absolute_http_url__bad_request(
    client: httpx.AsyncClient, auth: dict[str, str], endpoint: str
) -> None:
    body = email_order(conditionEndpoint=endpoint)
    await assert_refused(client, auth, EMAIL, "conditionEndpoint", body=body)


async def test_register_order__https_condition_endpoint__accepted_and_stored(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    endpoint = "https://vg.no/condition?order=1"
    created = await accepted(client, auth, EMAIL, email_order(conditionEndpoint=endpoint))
    assert (await stored_order(client, auth, created["orderId"]))["conditionEndpoint"] == endpoint


# ---- templates -------------------------------------------------------------------------------

SMS_TEMPLATE = {"senderNumber": "Altinn", "body": "A text"}
EMAIL_TEMPLATE = {"subject": "A subject", "body": "A body"}


@pytest.mark.parametrize(
    ("channel", "templates", "missing"),
    [
        ("Email", {"smsTemplate": SMS_TEMPLATE}, ["emailTemplate"]),
        ("Sms", {"emailTemplate": EMAIL_TEMPLATE}, ["smsTemplate"]),
        ("EmailPreferred", {"emailTemplate": EMAIL_TEMPLATE}, ["smsTemplate"]),
        ("EmailPreferred", {"smsTemplate": SMS_TEMPLATE}, ["emailTemplate"]),
        ("SmsPreferred", {"emailTemplate": EMAIL_TEMPLATE}, ["smsTemplate"]),
        ("SmsPreferred", {"smsTemplate": SMS_TEMPLATE}, ["emailTemplate"]),
        ("EmailAndSms", {"emailTemplate": EMAIL_TEMPLATE}, ["smsTemplate"]),
        ("EmailAndSms", {"smsTemplate": SMS_TEMPLATE}, ["emailTemplate"]),
        ("EmailAndSms", {}, ["emailTemplate", "smsTemplate"]),
    ],
)
async def test_register_order__template_missing_for_the_channel__bad_request_naming_it(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    channel: str,
    templates: dict[str, Any],
    missing: list[str],
) -> None:
    body = order(notificationChannel=channel, recipients=[{"nationalIdentityNumber": "07837399275"}])
    body.pop("emailTemplate")
    body.update(templates)
    problem = await assert_refused(client, auth, ORDERS, missing[0], body=body)
    assert sorted(key for key in problem["errors"] if key.endswith("Template")) == missing


@pytest.mark.parametrize("channel", ["EmailPreferred", "SmsPreferred", "EmailAndSms"])
async def test_register_order__both_templates_for_a_two_channel_order__accepted(
    client: httpx.AsyncClient, auth: dict[str, str], channel: str
) -> None:
    body = order(
        notificationChannel=channel,
        recipients=[{"organizationNumber": "311000179"}],
        emailTemplate=EMAIL_TEMPLATE,
        smsTemplate=SMS_TEMPLATE,
    )
    created = await accepted(client, auth, ORDERS, body)
    stored = await stored_order(client, auth, created["orderId"])
    assert stored["notificationChannel"] == channel
    assert stored["smsTemplate"] == SMS_TEMPLATE


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (EMAIL, email_order(subject=""), "subject"),
        (EMAIL, email_order(subject="   "), "subject"),
        (EMAIL, email_order(body="\n\t "), "body"),
        (SMS, sms_order(body=""), "body"),
        (ORDERS, order(emailTemplate={"subject": " ", "body": "A body"}), "emailTemplate.subject"),
        (ORDERS, order(emailTemplate={"subject": "A subject", "body": ""}), "emailTemplate.body"),
        (
            ORDERS,
            order(notificationChannel="Sms", emailTemplate=None, smsTemplate={"body": " "}),
            "smsTemplate.body",
        ),
    ],
)
async def test_register_order__blank_subject_or_body__bad_request_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, body: dict[str, Any], field: str
) -> None:
    await assert_refused(client, auth, path, field, body=body)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (EMAIL, email_order(body=None), "body"),
        (EMAIL, {k: v for k, v in email_order().items() if k != "subject"}, "subject"),
        (SMS, {k: v for k, v in sms_order().items() if k != "body"}, "body"),
    ],
)
async def test_register_order__subject_or_body_missing__bad_request_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, body: dict[str, Any], field: str
) -> None:
    await assert_refused(client, auth, path, field, body=body)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (SMS, sms_order(senderNumber="Altinn-tests"), "senderNumber"),
        (SMS, sms_order(senderNumber=""), "senderNumber"),
        (
            ORDERS,
            order(
                notificationChannel="Sms",
                emailTemplate=None,
                smsTemplate={"senderNumber": "A" * 12, "body": "B"},
            ),
            "smsTemplate.senderNumber",
        ),
    ],
)
async def test_register_sms_order__sender_of_twelve_characters__bad_request(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, body: dict[str, Any], field: str
) -> None:
    await assert_refused(client, auth, path, field, body=body)


async def test_register_order__invalid_from_address__bad_request_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    template = {"fromAddress": "noreply", "subject": "A subject", "body": "A body"}
    await assert_refused(
        client, auth, ORDERS, "emailTemplate.fromAddress", body=order(emailTemplate=template)
    )


async def test_register_email_order__subject_with_line_breaks__stored_as_one_line(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await accepted(client, auth, EMAIL, email_order(subject="First\r\nSecond\nThird\rFourth"))
    stored = await stored_order(client, auth, created["orderId"])
    assert stored["emailTemplate"]["subject"] == "First Second Third Fourth"


@pytest.mark.parametrize("path", [ORDERS, EMAIL])
async def test_register_order__subject_with_any_kind_of_line_break__stored_as_one_line(
    client: httpx.AsyncClient, auth: dict[str, str], path: str
) -> None:
    # Every one of these is a line break to the e-mail library, which refuses it in a header.
    subject = "First\r\nSecond\vThird\fFourth\x85Fifth\u2028Sixth\u2029Seventh\x1cEighth"
    template = {"fromAddress": "sender@domain.com", "subject": subject, "body": "A body"}
    body = order(emailTemplate=template) if path == ORDERS else email_order(subject=subject)

    created = await accepted(client, auth, path, body)

    stored = await stored_order(client, auth, created["orderId"])
    assert stored["emailTemplate"]["subject"] == "First Second Third Fourth Fifth Sixth Seventh Eighth"


# ---- resource, text that cannot be stored, length limits -------------------------------------


async def test_register_order__resource_action_without_resource_id__bad_request(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await assert_refused(client, auth, EMAIL, "resourceAction", body=email_order(resourceAction="read"))


@pytest.mark.parametrize("action", ["", "   "])
async def test_register_order__blank_resource_action__bad_request(
    client: httpx.AsyncClient, auth: dict[str, str], action: str
) -> None:
    body = email_order(resourceId="urn:altinn:resource:app_ttd_test", resourceAction=action)
    await assert_refused(client, auth, EMAIL, "resourceAction", body=body)


async def test_register_order__resource_id_and_action__accepted_and_stored(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = email_order(resourceId="urn:altinn:resource:app_ttd_test", resourceAction="read")
    stored = await stored_order(client, auth, (await accepted(client, auth, EMAIL, body))["orderId"])
    assert (stored["resourceId"], stored["resourceAction"]) == ("urn:altinn:resource:app_ttd_test", "read")


@pytest.mark.parametrize(
    ("field", "length"), [("sendersReference", 501), ("resourceId", 501), ("resourceAction", 201)]
)
async def test_register_order__text_longer_than_its_column__bad_request_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str], field: str, length: int
) -> None:
    body = email_order(resourceId="urn:altinn:resource:app_ttd_test")
    body[field] = "r" * length
    await assert_refused(client, auth, EMAIL, field, body=body)


async def test_register_order__senders_reference_of_500_characters__accepted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    reference = "r" * 500
    await accepted(client, auth, EMAIL, email_order(sendersReference=reference))
    assert await count_stored(client, auth, reference) == 1


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("subject", r'"A\u0000subject"'),
        ("body", r'"A \ud800 body"'),
        ("sendersReference", r'"ref\u0000"'),
    ],
)
async def test_register_order__text_with_nul_or_lone_surrogate__bad_request_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str], field: str, raw: str
) -> None:
    fields = {"subject": '"A subject"', "body": '"A body"', "sendersReference": '"ref-1"', field: raw}
    content = (
        '{"recipients": [{"emailAddress": "recipient@domain.com"}], '
        + ", ".join(f'"{name}": {value}' for name, value in fields.items())
        + "}"
    ).encode()
    await assert_refused(client, auth, EMAIL, field, content=content)


# ---- what a valid order gets -----------------------------------------------------------------


async def test_register_sms_order__mobile_with_00_prefix__stored_normalized_with_plus(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await accepted(client, auth, SMS, sms_order(recipients=[{"mobileNumber": "004799999999"}]))
    stored = await stored_order(client, auth, created["orderId"])
    assert stored["recipients"] == [{"mobileNumber": "+4799999999"}]


async def test_register_email_order__address_with_spaces_around__stored_trimmed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await accepted(
        client, auth, EMAIL, email_order(recipients=[{"emailAddress": " æøå@dømene.no "}])
    )
    stored = await stored_order(client, auth, created["orderId"])
    assert stored["recipients"] == [{"emailAddress": "æøå@dømene.no"}]


async def test_register_email_order__no_from_address__default_from_settings(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    created = await accepted(client, auth, EMAIL, email_order())
    stored = await stored_order(client, auth, created["orderId"])
    assert stored["emailTemplate"]["fromAddress"] == settings.notifications.default_email_from_address


async def test_register_order__email_template_without_from_address__default_from_settings(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    created = await accepted(client, auth, ORDERS, order(emailTemplate=EMAIL_TEMPLATE))
    stored = await stored_order(client, auth, created["orderId"])
    assert stored["emailTemplate"]["fromAddress"] == settings.notifications.default_email_from_address


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (SMS, {k: v for k, v in sms_order().items() if k != "senderNumber"}),
        (SMS, sms_order(senderNumber=None)),
        (
            ORDERS,
            order(
                notificationChannel="Sms",
                recipients=[{"mobileNumber": "+4799999999"}],
                emailTemplate=None,
                smsTemplate={"body": "A text"},
            ),
        ),
    ],
)
async def test_register_sms_order__no_sender__default_from_settings(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings, path: str, body: dict[str, Any]
) -> None:
    created = await accepted(client, auth, path, body)
    stored = await stored_order(client, auth, created["orderId"])
    assert stored["smsTemplate"]["senderNumber"] == settings.notifications.default_sms_sender


@pytest.mark.parametrize(
    ("path", "body"),
    [(EMAIL, email_order()), (SMS, sms_order()), (ORDERS, order())],
)
async def test_register_order__direct_addresses_only__no_recipient_lookup_in_the_response(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    created = await accepted(client, auth, path, body)
    assert set(created) == {"orderId"}
