"""Data only (and a helper for dates): the providers the agent may choose, and the expert's curated table.

:data:`PROVIDERS`: provider name (Faker's method name) -> ``returns`` (the spec type of its values),
``method`` (the Faker method, when not the name: such providers take no options), ``args`` (fixed Faker
arguments), ``fit`` (constraint -> Faker argument filled from the field's
constraints, e.g. a field's ``le`` becomes ``max_value``).

:data:`CURRENCY_CODES`: the ISO 4217 codes among Faker's currencies (what ``currency_code`` draws from).

:data:`LANGUAGE_CODES`: the ISO 639 codes among Faker's language codes (what ``language_code`` draws from).

:data:`COMMON`: the providers offered first when a field's name relates to none (a person, a company, ...).

:data:`ALIASES`: Faker's other names for a provider (``zipcode`` for ``postcode``), and :data:`COMPOUNDS`: the
words inside a provider name's compound words (``postcode``: ``post``, ``code``), for relating a field's name to
providers.

:data:`CONVERSIONS`: the spec types a provider's values may fill besides their own (lossless, standard
conversions: a UUID as its string, an int as a float...).

:data:`EXPERT_TABLE`: ``(name pattern, field types, provider, options)``, first match wins. The pattern
is a regular expression searched in the field's name (lower case, camelCase split with ``_``); the
types are spec types of the field's values (the items' for lists). A row whose provider's values fail
the field's constraints is skipped. Options are Faker arguments. Kept separate from the judge's table
(:mod:`toolsmith.sample_data.meanings`).
"""

from __future__ import annotations

import datetime
from typing import Any

from faker.providers import BaseProvider
from faker.providers.currency import Provider as CurrencyProvider

REFERENCE_DAY = datetime.datetime(2026, 1, 1)  # the end of the fixed windows of the date providers
LEFT_DIGITS = 4  # digits before the point of a float/decimal with no upper bound and no ``left_digits`` option
# digits after the point of a float/decimal unless the field's decimal_places or a right_digits option says otherwise
# (Faker's own choice is up to ~15: 9.580973347281 is no price, no measurement, no share)
RIGHT_DIGITS = 2
# Faker's currency codes that are no ISO 4217 code (withdrawn: CUC 2021, NIS 1985; local issues of the pound: GGP,
# IMP, JEP; unofficial: SPL, TVD): currency_code draws from the others
NOT_ISO_4217 = frozenset({"CUC", "GGP", "IMP", "JEP", "NIS", "SPL", "TVD"})
CURRENCY_CODES = tuple(code for code, _ in CurrencyProvider.currencies if code not in NOT_ISO_4217)
# Faker's language codes that are no ISO 639 language code: iw (Hebrew's code withdrawn in 1989, now he), ber
# (Berber languages: a collective code of ISO 639-5, no language)
NOT_ISO_639 = frozenset({"iw", "ber"})
LANGUAGE_CODES = tuple(code for code in BaseProvider.language_locale_codes if code not in NOT_ISO_639)


def _days(n: int, date: bool = False) -> datetime.datetime | datetime.date:
    moment = REFERENCE_DAY + datetime.timedelta(days=n)
    return moment.date() if date else moment


_NUM_FIT = {"ge": "min_value", "gt": "min_value", "le": "max_value", "lt": "max_value"}
_TEXT_FIT = {"max_length": "max_nb_chars"}

PROVIDERS: dict[str, dict[str, Any]] = {
    # people
    "name": {"returns": "str"},
    "first_name": {"returns": "str"},
    "last_name": {"returns": "str"},
    "prefix": {"returns": "str"},
    "user_name": {"returns": "str"},
    "password": {"returns": "str", "fit": {"max_length": "length"}},
    "job": {"returns": "str"},
    "ssn": {"returns": "str"},
    # contact
    "email": {"returns": "str"},
    "company_email": {"returns": "str"},
    "phone_number": {"returns": "str"},
    "msisdn": {"returns": "str"},
    # companies
    "company": {"returns": "str"},
    "company_suffix": {"returns": "str"},
    "catch_phrase": {"returns": "str"},
    # places
    "address": {"returns": "str"},
    "street_address": {"returns": "str"},
    "street_name": {"returns": "str"},
    "building_number": {"returns": "str"},
    "city": {"returns": "str"},
    "state": {"returns": "str"},
    "state_abbr": {"returns": "str"},
    "postcode": {"returns": "str"},
    "country": {"returns": "str"},
    "country_code": {"returns": "str"},
    "latitude": {"returns": "decimal"},
    "longitude": {"returns": "decimal"},
    "timezone": {"returns": "str"},
    # internet
    "url": {"returns": "str"},
    "image_url": {"returns": "str"},
    "uri_path": {"returns": "str"},
    "domain_name": {"returns": "str"},
    "hostname": {"returns": "str"},
    "slug": {"returns": "str"},
    "ipv4": {"returns": "str"},
    "ipv6": {"returns": "str"},
    "mac_address": {"returns": "str"},
    "user_agent": {"returns": "str"},
    "uuid4": {"returns": "uuid", "args": {"cast_to": None}},
    "md5": {"returns": "str"},
    "sha256": {"returns": "str"},
    "file_name": {"returns": "str"},
    "file_path": {"returns": "str"},
    "file_extension": {"returns": "str"},
    "mime_type": {"returns": "str"},
    # money and codes
    "iban": {"returns": "str"},
    "swift": {"returns": "str"},
    "credit_card_number": {"returns": "str"},
    "currency_code": {"returns": "str", "method": "random_element", "args": {"elements": CURRENCY_CODES}},
    "currency_name": {"returns": "str"},
    "pricetag": {"returns": "str"},
    "isbn13": {"returns": "str"},
    "ean13": {"returns": "str"},
    "license_plate": {"returns": "str"},
    "language_code": {"returns": "str", "method": "random_element", "args": {"elements": LANGUAGE_CODES}},
    "locale": {"returns": "str"},
    "color_name": {"returns": "str"},
    "hex_color": {"returns": "str"},
    "bothify": {"returns": "str"},
    # text
    "word": {"returns": "str"},
    "sentence": {"returns": "str"},
    "paragraph": {"returns": "str"},
    "text": {"returns": "str", "fit": _TEXT_FIT, "args": {"max_nb_chars": 120}},
    "pystr": {"returns": "str", "fit": {"min_length": "min_chars", "max_length": "max_chars"}},
    # numbers
    "pyint": {"returns": "int", "fit": _NUM_FIT, "args": {"min_value": 0, "max_value": 9999}},
    "pyfloat": {"returns": "float", "fit": _NUM_FIT, "args": {"right_digits": RIGHT_DIGITS}},
    "pydecimal": {
        "returns": "decimal",
        "fit": {**_NUM_FIT, "decimal_places": "right_digits"},
        "args": {"right_digits": RIGHT_DIGITS},
    },
    "pybool": {"returns": "bool"},
    # dates and times: fixed windows before REFERENCE_DAY (same seed, same dates, whatever the day);
    # only future_* count from today (a future date cannot be fixed)
    "date_time": {
        "returns": "datetime",
        "method": "date_time_between",
        "args": {"start_date": _days(-365 * 30), "end_date": _days(0)},
    },
    "date_time_this_decade": {
        "returns": "datetime",
        "method": "date_time_between",
        "args": {"start_date": _days(-365 * 6), "end_date": _days(0)},
    },
    "past_datetime": {
        "returns": "datetime",
        "method": "date_time_between",
        "args": {"start_date": _days(-30), "end_date": _days(0)},
    },
    "future_datetime": {"returns": "datetime"},
    "date_object": {
        "returns": "date",
        "method": "date_between",
        "args": {"start_date": _days(-365 * 30, True), "end_date": _days(0, True)},
    },
    "date_this_decade": {
        "returns": "date",
        "method": "date_between",
        "args": {"start_date": _days(-365 * 6, True), "end_date": _days(0, True)},
    },
    "past_date": {
        "returns": "date",
        "method": "date_between",
        "args": {"start_date": _days(-30, True), "end_date": _days(0, True)},
    },
    "future_date": {"returns": "date"},
    "date_of_birth": {
        "returns": "date",
        "method": "date_between",
        "args": {"start_date": _days(-365 * 80, True), "end_date": _days(-365 * 18, True)},
    },
    "time_object": {"returns": "time"},
    "time_delta": {"returns": "timedelta", "args": {"end_datetime": "+30d"}},
    # a year as a whole number (Faker's year() is a str), 1970 to REFERENCE_DAY's within the field's bounds
    "year": {"returns": "int", "method": "random_int", "args": {"min": 1970, "max": REFERENCE_DAY.year}},
    # others
    "from_pattern": {"returns": "str"},  # not Faker's: a string matching the field's pattern (polyfactory's regex)
    "random_element": {"returns": "member"},
}

# The providers list_providers names first among those equally related to a field's name (for most names: none
# is), so the common kinds of value are offered whatever the name: a person, a company, contact, a web address,
# free text, a place; then PROVIDERS' order.
COMMON: tuple[str, ...] = (
    "name", "first_name", "last_name", "company", "email", "url", "text", "word", "user_name", "job", "city",
    "phone_number",
)  # fmt: skip

# provider -> Faker's other names for it (en_US address: "Aliases", zipcode and postalcode return postcode()); their
# words relate a field's name to the provider as its own do
ALIASES: dict[str, tuple[str, ...]] = {"postcode": ("zipcode", "postalcode")}

# compound words of provider names -> the words they are made of
COMPOUNDS: dict[str, tuple[str, ...]] = {
    "postcode": ("post", "code"),
    "timezone": ("time", "zone"),
    "pricetag": ("price", "tag"),
    "datetime": ("date", "time"),
}

# (value type, field type): the field types a value type may fill besides its own.
CONVERSIONS: dict[str, tuple[str, ...]] = {
    "uuid": ("str",),
    "int": ("float", "decimal"),
    "decimal": ("float",),
    "float": ("decimal",),
    "str": ("bytes",),
}

# Name patterns for the expert, most specific first. ``None`` options: none.
EXPERT_TABLE: tuple[tuple[str, tuple[str, ...], str, dict[str, Any] | None], ...] = (
    # identifiers
    (r"(^|_)(uuid|guid)($|_)", ("uuid", "str"), "uuid4", None),
    (r"(^|_)(id|key|token)$", ("uuid", "str"), "uuid4", None),
    (r"(^|_)id$", ("int",), "pyint", {"min_value": 1, "max_value": 100000}),
    # contact
    (r"e_?mail", ("str",), "email", None),
    (r"phone|mobile|(^|_)tel($|_)|fax|landline|hotline", ("str",), "phone_number", None),
    (r"(^|_)(url|website|homepage|link|href)($|_)|(^|_)(blog|web_?page|landing_page)$", ("str",), "url", None),
    (r"avatar|image|photo|picture|thumbnail", ("str",), "image_url", None),
    (r"domain", ("str",), "domain_name", None),
    (r"(^|_)ip(v4)?(_address)?$|(^|_)ip_", ("str",), "ipv4", None),
    (r"host(name)?($|_)", ("str",), "hostname", None),
    (r"ipv6", ("str",), "ipv6", None),
    (r"mac_?addr", ("str",), "mac_address", None),
    (r"user_?agent", ("str",), "user_agent", None),
    (r"(^|_)slug$", ("str",), "slug", None),
    # people
    (
        r"(^|_)(product|item|project|app|event|course|book|store|shop|brand|plan|category|service|package)_?name$",
        ("str",),
        "catch_phrase",
        None,
    ),  # fmt: skip
    (
        r"(^|_)(company|organi[sz]ation|employer|vendor|supplier|publisher|manufacturer|firm|business|brand|merchant"
        r"|agency|institution|carrier|corporation|retailer|distributor|bank|insurer|airline|sponsor|studio)(_name)?$",
        ("str",),
        "company",
        None,
    ),  # fmt: skip
    (r"(^|_)(first|given)_?name$|^(first|given)$|(^|_)fname$|forename|christian_name", ("str",), "first_name", None),
    (r"(^|_)(last|family|sur)_?name$|^(last|family)$|(^|_)lname$|surname|maiden_name", ("str",), "last_name", None),
    (r"(^|_)(user_?name|login|handle|nickname|gamertag|alias)$", ("str",), "user_name", None),
    (
        r"(^|_)(full_)?name$|author|owner|customer_name|contact_name|recipient|assignee|(^|_)(reviewer|instructor"
        r"|speaker|organi[sz]er|approver|beneficiary|cardholder|passenger|attendee|candidate|teacher|doctor|signatory"
        r"|witness|requester|manager|supervisor|creator|guardian|landlord|coach|mentor|inspector)$",
        ("str",),
        "name",
        None,
    ),  # fmt: skip
    (r"(^|_)(job|title|position|occupation|role)$", ("str",), "job", None),
    (r"password|passwd|secret", ("str",), "password", {"length": 16}),
    (r"(^|_)age$", ("int",), "pyint", {"min_value": 18, "max_value": 90}),
    (r"birth|dob($|_)", ("date",), "date_of_birth", None),
    # places
    (r"country_?code|country_iso|iso_country", ("str",), "country_code", None),
    (r"country", ("str",), "country", None),
    (r"(^|_)(zip|zip_?code|post_?code|postal_?code)$|(^|_)zip$|_zip$|postcode|postal", ("str",), "postcode", None),
    (r"street|address_?line|(^|_)line\d$", ("str",), "street_address", None),
    (r"(^|_)address$", ("str",), "address", None),
    (r"(^|_)(city|town|municipality|locality)$|_city$", ("str",), "city", None),
    (r"(^|_)(state|province|region)$", ("str",), "state", None),
    (r"(^|_)(lat|latitude)$", ("float", "decimal"), "latitude", None),
    (r"(^|_)(lon|lng|long|longitude)$", ("float", "decimal"), "longitude", None),
    (r"timezone|(^|_)tz$", ("str",), "timezone", None),
    # money and codes
    (r"iban", ("str",), "iban", None),
    (r"swift|bic($|_)", ("str",), "swift", None),
    (r"card_?number|(^|_)pan$|credit_card", ("str",), "credit_card_number", None),
    (r"currency", ("str",), "currency_code", None),
    (
        r"percent|pct|ratio|rate|share",
        ("float", "decimal"),
        "pyfloat",
        {"min_value": 0, "max_value": 100},
    ),  # fmt: skip
    (
        r"(^|_)(price|amount|total|subtotal|cost|fee|balance|salary|tax|discount|payment|revenue|deposit|charge|rent"
        r"|tuition|fare|wage|commission)($|_)",
        ("decimal", "float"),
        "pydecimal",
        {"positive": True},
    ),  # fmt: skip
    (
        r"(^|_)(price|amount|total|cost|fee|balance|salary|charge|rent|tuition|fare|wage|commission)($|_)",
        ("int",),
        "pyint",
        {"min_value": 1, "max_value": 5000},
    ),  # fmt: skip
    (r"isbn", ("str",), "isbn13", None),
    (r"ean|barcode|gtin|upc", ("str",), "ean13", None),
    (r"plate", ("str",), "license_plate", None),
    (r"(^|_)(lang|language)(_code)?$", ("str",), "language_code", None),
    (r"(^|_)locale$", ("str",), "locale", None),
    (r"colou?r", ("str",), "color_name", None),
    # numbers
    (
        r"(^|_)(quantity|qty|count|stock|items|seats|rooms|pages|retries|attempts)($|_)|^num_|_count$",
        ("int",),
        "pyint",
        {"min_value": 1, "max_value": 50},
    ),  # fmt: skip
    (r"(^|_)(rating|score|stars)$", ("int",), "pyint", {"min_value": 1, "max_value": 5}),
    (
        r"^(max|min|num|n)_|_(size|limit|lines|chars|steps|workers|retries|depth|width|height|length)$",
        ("int",),
        "pyint",
        {"min_value": 1, "max_value": 100},
    ),  # fmt: skip
    (r"(^|_)(rating|score)$", ("float", "decimal"), "pyfloat", {"min_value": 0, "max_value": 5, "right_digits": 1}),
    (r"(^|_)year$", ("int",), "year", None),
    (
        r"weight|height|width|length|depth|size|distance",
        ("float", "decimal"),
        "pyfloat",
        {"min_value": 1, "max_value": 500, "right_digits": 1},
    ),  # fmt: skip
    (r"(^|_)(port)$", ("int",), "pyint", {"min_value": 1024, "max_value": 65535}),
    # dates and times
    (
        r"(_at|_on|_time|_date|timestamp|^date|^time|created|updated|modified|deleted|expires|expiry|since|until"
        r"|deadline|due|start|end|last_login|scheduled)",
        ("datetime",),
        "date_time_this_decade",
        None,
    ),  # fmt: skip
    (
        r"(_at|_on|_date|^date|created|updated|expires|expiry|since|until|deadline|due|start|end|day|scheduled)",
        ("date",),
        "date_this_decade",
        None,
    ),  # fmt: skip
    (r"duration|elapsed|timeout|interval|ttl", ("timedelta",), "time_delta", None),
    # text
    (
        r"(^|_)(description|summary|bio|about|abstract|overview|memo|feedback|notes?|comment|body|content|message"
        r"|text|details|remarks|synopsis|blurb|explanation)$",
        ("str",),
        "text",
        {"max_nb_chars": 160},
    ),  # fmt: skip
    (r"(^|_)(title|headline|subject|caption|label)$", ("str",), "sentence", {"nb_words": 4}),
    (r"(^|_)(tags?|keywords?|categor(y|ies)|topics?|labels)$", ("str",), "word", None),
    (r"file_?name|filename", ("str",), "file_name", None),
    (r"(^|_)(path|file_?path)$", ("str",), "file_path", None),
    (r"mime|content_type", ("str",), "mime_type", None),
    (r"(^|_)(hash|checksum|digest|sha256)$", ("str",), "sha256", None),
    # flags
    (
        r"^(is|has|can|should|allow|enable|use)_|active|enabled|verified|deleted|visible|public|paid",
        ("bool",),
        "pybool",
        None,
    ),  # fmt: skip
)

# Type-based fallbacks when no name pattern applies (and for fields not set).
TYPE_DEFAULTS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "str": ("word", None),
    "int": ("pyint", None),
    "float": ("pyfloat", None),
    "decimal": ("pydecimal", None),
    "bool": ("pybool", None),
    "date": ("date_this_decade", None),
    "datetime": ("date_time_this_decade", None),
    "time": ("time_object", None),
    "timedelta": ("time_delta", None),
    "uuid": ("uuid4", None),
    "bytes": ("pystr", None),
    "enum": ("random_element", None),
    "literal": ("random_element", None),
    "any": ("word", None),
}
# A string field with a JSON Schema format: the provider whose values have it.
FORMAT_PROVIDERS: dict[str, str] = {
    "email": "email",
    "idn-email": "email",
    "uri": "url",
    "iri": "url",
    "uri-reference": "url",
    "hostname": "hostname",
    "idn-hostname": "hostname",
    "ipv4": "ipv4",
    "ipv6": "ipv6",
}
