"""Data only: the judge's table of recognisable field meanings, separate from the expert's provider table.

:data:`MEANINGS`: ``(name pattern, meaning)``, first match wins; the pattern is searched in the field's
name (lower case, camelCase split with ``_``; plural ``s`` kept, so ``emails`` matches ``e_?mails?``). A person's
name is ``name`` itself or a person's ``<role>_name``: ``product_name`` or ``file_name`` is no person.
A field whose name matches none, or whose value type does not fit the meaning (:data:`MEANING_TYPES`: a
bool ``cache_link_parsing`` is no URL), has no recognisable meaning (its values only have to be valid).
:data:`FORMAT_MEANINGS`: a string's JSON Schema format gives the meaning when the name gives none.
:data:`TYPE_MEANINGS`: so does a date/datetime type (values must be plausible dates).
:data:`COUNTRY_NAMES`: English names in common use that ISO 3166 (pycountry) spells otherwise or no longer lists.
How each meaning is checked lives in :mod:`toolsmith.sample_data.checks`.
"""

from __future__ import annotations

MEANINGS: tuple[tuple[str, str], ...] = (
    (r"e_?mails?($|_)|_e_?mail", "email"),
    (r"(^|_)(urls?|website|homepage|href|links?)($|_)|_url$|(^|_)(blog|web_?page|landing_page)$", "url"),
    (r"(^|_)(uuid|guid)s?($|_)", "uuid"),
    (r"(^|_)ipv6", "ipv6"),
    (r"(^|_)(ip|ipv4|ip_address)($|_)", "ipv4"),
    (r"(^|_)(domain|domain_name)s?$", "domain"),
    (r"(^|_)(host|hostname)$", "hostname"),
    (r"(^|_)iban($|_)", "iban"),
    (r"(^|_)mac(_address)?$", "mac_address"),
    (r"(^|_)(phone|mobile|telephone|tel|fax)(_number|_no)?$|phone|(^|_)(landline|hotline)$", "phone"),
    (r"country_?codes?$|(^|_)iso_?country|country_iso$", "country_code"),
    (r"(^|_)country$|_country$|country_name", "country"),
    (r"currency(_code)?s?$", "currency_code"),
    (r"(^|_)(lang|language)(_code)?$", "language_code"),
    (r"(^|_)(zip|zipcode|zip_code|postcode|post_code|postal_code|postalcode|postal)$|_zip$|_postcode$", "postcode"),
    (
        r"(^|_)(company|employer|organi[sz]ation|firm|business|vendor|manufacturer|publisher|merchant|agency"
        r"|institution|carrier|corporation|retailer|distributor|bank|insurer|airline|sponsor|studio)(_name)?$|(^|_)brand$",
        "company",
    ),  # fmt: skip
    (
        r"(^|_)(first_?name|given_name|fname|forename|christian_name|last_?name|lname|surname|maiden_name|family_name"
        r"|full_name|author|reviewer|assignee|instructor|speaker|organi[sz]er|approver|beneficiary|cardholder|passenger"
        r"|attendee|candidate|teacher|doctor|signatory|witness|requester|manager|supervisor|creator|guardian|landlord"
        r"|coach|mentor|inspector)$|^(name|first|given|last|family)$"
        r"|(^|_)(customer|owner|recipient|guest|patient|holder|sender|driver|tenant|applicant|contact|person|member"
        r"|employee|student|passenger|doctor|manager|cardholder|attendee|teacher|parent|signer)_name$",
        "person_name",
    ),  # fmt: skip
    (r"(^|_)(city|town|municipality|locality)$|_city$", "city"),
    (
        r"(^|_)(price|amount|cost|fee|total|subtotal|balance|salary|unit_price|deposit|charge|rent|tuition|fare|wage"
        r"|commission)$|_(price|amount|total|cost|fee)$",
        "money",
    ),  # fmt: skip
    (r"(^|_)age$", "age"),
    (r"(^|_)(percent|percentage|pct)$|_percent$|_pct$", "percent"),
    (r"(^|_)(lat|latitude)$", "latitude"),
    (r"(^|_)(lon|lng|longitude)$", "longitude"),
    (r"(^|_)year$", "year"),
    (r"(^|_)port$", "port"),
    (r"(^|_)(quantity|qty|stock|units)$|_(count|quantity|qty)$", "count"),
    (r"(^|_)(rating|stars)$", "rating"),
    (r"(^|_)(mime_type|content_type|media_type)$", "mime_type"),
    (r"(^|_)(timezone|time_zone|tz)$", "timezone"),
    (r"(^|_)locale$", "locale"),
    (r"(^|_)slug$", "slug"),
    (r"(^|_)isbn(13)?$", "isbn13"),
    (r"(^|_)(ean|ean13|barcode|gtin)$", "ean13"),
    (r"(^|_)sha256$", "sha256"),
    (r"(^|_)md5$", "md5"),
    (r"(^|_)(birth_date|birthdate|date_of_birth|dob|birthday)$", "birth_date"),
    (r"(_at|_on|_date|_time|timestamp)$|^(created|updated|modified|deleted|date|timestamp)$", "date_like"),
)
FORMAT_MEANINGS: dict[str, str] = {
    "email": "email",
    "idn-email": "email",
    "uri": "url",
    "ipv4": "ipv4",
    "ipv6": "ipv6",
    "hostname": "hostname",
}
TYPE_MEANINGS: dict[str, str] = {"date": "date_like", "datetime": "date_like"}
COUNTRY_NAMES: frozenset[str] = frozenset(
    (
        "Brunei", "Burma", "Cape Verde", "Ivory Coast", "Kosovo", "Libyan Arab Jamahiriya", "Macedonia",
        "Palestinian Territory", "Pitcairn Islands", "Russia", "Saint Martin", "Svalbard & Jan Mayen Islands",
        "Swaziland", "Turkey", "United States Virgin Islands", "Vatican City",
    )
)  # fmt: skip
_TEXT = ("str",)
_NUMBER = ("int", "float", "decimal")
# The value types (spec types of the field, of its items for lists) a meaning applies to; others: no meaning.
MEANING_TYPES: dict[str, tuple[str, ...]] = {
    **{
        m: _TEXT
        for m in (
            "email",
            "url",
            "ipv4",
            "ipv6",
            "domain",
            "hostname",
            "iban",
            "mac_address",
            "phone",
            "country_code",
            "country",
            "currency_code",
            "language_code",
            "postcode",
            "person_name",
            "city",
            "company",
            "mime_type",
            "timezone",
            "locale",
            "slug",
            "isbn13",
            "ean13",
            "sha256",
            "md5",
        )
    },  # fmt: skip
    "uuid": ("str", "uuid"),
    **{m: _NUMBER for m in ("money", "percent", "latitude", "longitude", "rating")},
    **{m: ("int",) for m in ("age", "port", "count")},
    "year": ("int", "str"),
    "birth_date": ("date", "datetime", "str"),
    "date_like": ("date", "datetime", "str"),
}
