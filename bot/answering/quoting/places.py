"""Which kind of place a name is: a country, a US state, a city, a continent or region.

Written here, not loaded from a data package: the sovereign states (and a few territories
news names as countries), the 50 US states, about a hundred large or newsworthy cities,
the continents and a few regions. Used to tell "Mexico" (an answer to "which country?")
from "Santa Cruz" (not one) in answer_spans.py.
"""

from __future__ import annotations

from functools import lru_cache

from vectorstore.lexical import tokenize

COUNTRIES = """Afghanistan|Albania|Algeria|Andorra|Angola|Antigua and Barbuda|Argentina|Armenia|
Australia|Austria|Azerbaijan|Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|
Bhutan|Bolivia|Bosnia|Herzegovina|Botswana|Brazil|Brunei|Bulgaria|Burkina Faso|Burundi|
Cambodia|Cameroon|Canada|Cape Verde|Central African Republic|Chad|Chile|China|Colombia|Comoros|
Congo|Costa Rica|Ivory Coast|Croatia|Cuba|Cyprus|Czech Republic|Czechia|Denmark|Djibouti|
Dominica|Dominican Republic|Ecuador|Egypt|El Salvador|Equatorial Guinea|Eritrea|Estonia|
Eswatini|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Georgia|Germany|Ghana|Greece|Grenada|
Guatemala|Guinea|Guinea-Bissau|Guyana|Haiti|Honduras|Hungary|Iceland|India|Indonesia|Iran|
Iraq|Ireland|Israel|Italy|Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kiribati|North Korea|
South Korea|Korea|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya|
Liechtenstein|Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|
Marshall Islands|Mauritania|Mauritius|Mexico|Micronesia|Moldova|Monaco|Mongolia|Montenegro|
Morocco|Mozambique|Myanmar|Burma|Namibia|Nauru|Nepal|Netherlands|Holland|New Zealand|Nicaragua|
Niger|Nigeria|North Macedonia|Norway|Oman|Pakistan|Palau|Palestine|Gaza|Panama|
Papua New Guinea|Paraguay|Peru|Philippines|Poland|Portugal|Qatar|Romania|Russia|Rwanda|
Saint Lucia|Samoa|San Marino|Saudi Arabia|Senegal|Serbia|Seychelles|Sierra Leone|Singapore|
Slovakia|Slovenia|Solomon Islands|Somalia|South Africa|South Sudan|Spain|Sri Lanka|Sudan|
Suriname|Sweden|Switzerland|Syria|Taiwan|Tajikistan|Tanzania|Thailand|Timor-Leste|Togo|Tonga|
Trinidad and Tobago|Tunisia|Turkey|Turkmenistan|Tuvalu|Uganda|Ukraine|United Arab Emirates|
UAE|United Kingdom|UK|Britain|Great Britain|England|Scotland|Wales|Northern Ireland|
United States|US|USA|America|Uruguay|Uzbekistan|Vanuatu|Vatican|Venezuela|Vietnam|Yemen|
Zambia|Zimbabwe|Greenland|Puerto Rico|Hong Kong|Tibet"""
US_STATES = """Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|
Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|
Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|
New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|
Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|
West Virginia|Wisconsin|Wyoming"""
CITIES = """London|Paris|Berlin|Moscow|Beijing|Shanghai|Tokyo|Kyiv|Kiev|Rome|Madrid|Barcelona|
Delhi|New Delhi|Mumbai|Toronto|Montreal|Vancouver|Sydney|Melbourne|Chicago|Houston|Boston|
Atlanta|Miami|Seattle|Denver|Dallas|Los Angeles|San Francisco|Las Vegas|New York|New York City|
Washington DC|Philadelphia|Phoenix|Detroit|Baltimore|New Orleans|Nashville|Austin|San Diego|
Portland|Minneapolis|Pittsburgh|Cleveland|Jackson|Uvalde|Buffalo|Mexico City|Havana|
Sao Paulo|Rio de Janeiro|Buenos Aires|Lima|Bogota|Caracas|Cairo|Lagos|Nairobi|Johannesburg|
Cape Town|Istanbul|Ankara|Tehran|Baghdad|Kabul|Islamabad|Karachi|Dubai|Doha|Riyadh|
Jerusalem|Tel Aviv|Beirut|Damascus|Athens|Vienna|Prague|Warsaw|Budapest|Brussels|Amsterdam|
Copenhagen|Stockholm|Oslo|Helsinki|Dublin|Edinburgh|Lisbon|Geneva|Zurich|Munich|Milan|
Naples|Venice|Seoul|Pyongyang|Taipei|Hong Kong|Singapore|Bangkok|Manila|Jakarta|Hanoi|
Kuala Lumpur|Canberra|Auckland|Wellington|Kharkiv|Mariupol|Odesa|Lviv|Kherson|Bakhmut|
Minsk|Vatican City|Monaco"""
# A US city names its state: "Jacksonville" is in Florida (large or much reported ones; not
# those that are as often a person's name or another place, AMBIGUOUS, nor those of
# Washington state, whose name is also the capital's).
CITY_STATES = {
    "Florida": "Jacksonville|Miami|Tampa|Orlando|Tallahassee|St. Petersburg|Fort Lauderdale|Parkland",
    "California": "Los Angeles|San Francisco|San Diego|San Jose|Sacramento|Oakland|Fresno|Long Beach",
    "Texas": "Houston|Dallas|San Antonio|Fort Worth|El Paso|Uvalde",
    "New York": "New York City|Brooklyn|Manhattan|Albany",
    "Illinois": "Chicago", "Arizona": "Tucson|Scottsdale", "Nevada": "Las Vegas",
    "Pennsylvania": "Philadelphia|Pittsburgh|Harrisburg", "Ohio": "Cleveland|Cincinnati",
    "Georgia": "Atlanta", "Michigan": "Detroit|Lansing", "Massachusetts": "Boston",
    "Colorado": "Denver", "Tennessee": "Nashville|Memphis",
    "Minnesota": "Minneapolis|St. Paul", "Louisiana": "New Orleans|Baton Rouge",
    "Maryland": "Baltimore", "North Carolina": "Raleigh", "Missouri": "St. Louis",
    "Wisconsin": "Milwaukee", "Utah": "Salt Lake City", "Hawaii": "Honolulu|Maui|Lahaina",
    "Kentucky": "Louisville", "Indiana": "Indianapolis",
}  # fmt: skip
# Place names that are as often something else: a person's name ("Jackson", "Austin",
# "Madison"), a bird or a dish ("Turkey"), an animal ("Buffalo"), another place of the same
# name ("Portland", "Columbus", "Georgia", "Washington").
AMBIGUOUS = frozenset(
    [
        *("jordan", "chad", "turkey", "guinea", "niger", "dominica", "grenada", "china", "jackson"),
        *("phoenix", "austin", "buffalo", "washington", "pacific", "atlantic", "georgia", "portland"),
        *("columbus", "madison"),
    ]
)
STATE_OF = {
    city: state
    for state, cities in CITY_STATES.items()
    for city in cities.split("|")
    if city.lower() not in AMBIGUOUS
}
REGIONS = """Europe|Asia|Africa|North America|South America|Latin America|Antarctica|Australia|
Oceania|Arctic|Middle East|Caribbean|Scandinavia|Balkans|Pacific|Atlantic|Mediterranean"""
# the noun a question asks about -> the kinds of place that answer it
HEADS = {
    "country": ("country",),
    "countries": ("country",),
    "nation": ("country",),
    "state": ("state", "country"),
    "states": ("state", "country"),
    "city": ("city",),
    "cities": ("city",),
    "capital": ("city",),
    "town": ("city",),
    "continent": ("region",),
    "region": ("region", "state"),
}


def _names(listing: str) -> list[tuple[str, ...]]:
    return [tuple(tokenize(name)) for name in listing.replace("\n", "").split("|") if tokenize(name)]


_KINDS = {
    "country": _names(COUNTRIES),
    "state": _names(US_STATES),
    "city": _names(CITIES),
    "region": _names(REGIONS),
}
TOKENS = frozenset(t for names in _KINDS.values() for name in names for t in name)


@lru_cache(maxsize=8192)
def kinds_of(name: str) -> frozenset[str]:
    """The kinds of place `name` names ("New York": state and city), by its words."""
    tokens = tuple(tokenize(name))
    found = set()
    for kind, names in _KINDS.items():
        if any(_contains(tokens, n) for n in names):
            found.add(kind)
    return frozenset(found)


def _contains(tokens: tuple[str, ...], name: tuple[str, ...]) -> bool:
    n = len(name)
    return any(tokens[i : i + n] == name for i in range(len(tokens) - n + 1))
