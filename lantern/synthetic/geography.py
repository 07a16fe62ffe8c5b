"""Geography of the synthetic Leicestershire-like county.

Sources (reference copies in /work/shared/domain/county-parameters.md):

* District population split: section 9 ("District split", mid-2020 district / 713,085).
* Towns and LE postcode districts: section 1b.  Only a few postcode-to-district pairs are verified
  there (LE10 Hinckley, LE7 Syston, LE2 Glen Parva, LE8 Smeeton Westerby); the others follow the
  section's "unverified" column and general knowledge of the area.  Streets and inward codes are made
  up; an inward code has the valid format ``<digit><letter><letter>`` with letters from the set used
  in real inward codes (no C, I, K, M, O or V).
* Main-town shares of each district use the 2011 built-up-area figures in section 1b
  (e.g. Loughborough 59,932 of Charnwood's ~188,000 ~= 32%); the smaller towns share the rest.
* Market towns affected by county lines (Loughborough, Hinckley, Market Harborough, Coalville) come
  from the 2019 council report (seed-report-2019.txt, paragraph 15).
"""

from __future__ import annotations

from dataclasses import dataclass

# (code, display name, share of residents %) - county-parameters.md section 9.
DISTRICTS: tuple[tuple[str, str, float], ...] = (
    ("CHARNWOOD", "Charnwood", 26.4),
    ("HINCKLEY_BOSWORTH", "Hinckley and Bosworth", 15.9),
    ("NW_LEICS", "North West Leicestershire", 14.7),
    ("BLABY", "Blaby", 14.3),
    ("HARBOROUGH", "Harborough", 13.4),
    ("OADBY_WIGSTON", "Oadby and Wigston", 8.0),
    ("MELTON", "Melton", 7.2),
)
DISTRICT_CODES: tuple[str, ...] = tuple(code for code, _name, _w in DISTRICTS)

# District code used on GenAddress for an address outside the seven districts (Lantern code list
# "district" has OUT_OF_AREA for this).
OUT_OF_COUNTY_DISTRICT = "OUT_OF_AREA"

# Multiplier applied to the non-White share of residents, per district.  Section 2 finds district
# White shares from about 92% (Charnwood, Blaby: bordering the city) to 97% (Melton, NW Leics); no
# figure was found for Oadby and Wigston (it borders the city's most Asian areas), Harborough or
# Hinckley and Bosworth.  The weighted mean of these multipliers is ~0.99, so the county total stays
# at the section 9 default.  Assumption, configurable.
NON_WHITE_MULTIPLIER: dict[str, float] = {
    "CHARNWOOD": 1.35,
    "BLABY": 1.1,
    "OADBY_WIGSTON": 2.2,
    "HARBOROUGH": 0.7,
    "HINCKLEY_BOSWORTH": 0.6,
    "NW_LEICS": 0.5,
    "MELTON": 0.5,
}


@dataclass(frozen=True, slots=True)
class Town:
    name: str
    district: str
    outcode: str
    sectors: str  # digits used for the inward-code sector
    weight: float  # share of its district's residents (relative)


TOWNS: tuple[Town, ...] = (
    # Charnwood
    Town("Loughborough", "CHARNWOOD", "LE11", "12345", 32.0),
    Town("Shepshed", "CHARNWOOD", "LE12", "9", 7.5),
    Town("Syston", "CHARNWOOD", "LE7", "1", 7.0),
    Town("Birstall", "CHARNWOOD", "LE4", "34", 6.5),
    Town("Thurmaston", "CHARNWOOD", "LE4", "8", 5.0),
    Town("Mountsorrel", "CHARNWOOD", "LE12", "7", 4.5),
    Town("Sileby", "CHARNWOOD", "LE12", "7", 4.0),
    Town("Anstey", "CHARNWOOD", "LE7", "7", 3.5),
    Town("Barrow upon Soar", "CHARNWOOD", "LE12", "8", 3.0),
    Town("Quorn", "CHARNWOOD", "LE12", "8", 2.7),
    Town("Rothley", "CHARNWOOD", "LE7", "7", 2.5),
    # Hinckley and Bosworth
    Town("Hinckley", "HINCKLEY_BOSWORTH", "LE10", "0123", 40.0),
    Town("Burbage", "HINCKLEY_BOSWORTH", "LE10", "2", 14.0),
    Town("Earl Shilton", "HINCKLEY_BOSWORTH", "LE9", "7", 9.0),
    Town("Barwell", "HINCKLEY_BOSWORTH", "LE9", "8", 8.0),
    Town("Groby", "HINCKLEY_BOSWORTH", "LE6", "0", 6.0),
    Town("Desford", "HINCKLEY_BOSWORTH", "LE9", "9", 4.0),
    Town("Ratby", "HINCKLEY_BOSWORTH", "LE6", "0", 4.0),
    Town("Newbold Verdon", "HINCKLEY_BOSWORTH", "LE9", "9", 3.0),
    Town("Market Bosworth", "HINCKLEY_BOSWORTH", "CV13", "0", 2.0),
    # North West Leicestershire
    Town("Coalville", "NW_LEICS", "LE67", "34", 32.0),
    Town("Ashby-de-la-Zouch", "NW_LEICS", "LE65", "12", 13.0),
    Town("Whitwick", "NW_LEICS", "LE67", "5", 8.0),
    Town("Castle Donington", "NW_LEICS", "DE74", "2", 7.0),
    Town("Ibstock", "NW_LEICS", "LE67", "6", 6.0),
    Town("Measham", "NW_LEICS", "DE12", "7", 5.0),
    Town("Kegworth", "NW_LEICS", "DE74", "2", 4.0),
    Town("Thringstone", "NW_LEICS", "LE67", "8", 3.0),
    # Blaby
    Town("Braunstone Town", "BLABY", "LE3", "2", 16.0),
    Town("Glenfield", "BLABY", "LE3", "8", 9.0),
    Town("Narborough", "BLABY", "LE19", "2", 8.0),
    Town("Enderby", "BLABY", "LE19", "4", 7.0),
    Town("Whetstone", "BLABY", "LE8", "6", 7.0),
    Town("Blaby", "BLABY", "LE8", "4", 6.0),
    Town("Countesthorpe", "BLABY", "LE8", "5", 6.0),
    Town("Leicester Forest East", "BLABY", "LE3", "3", 5.0),
    Town("Kirby Muxloe", "BLABY", "LE9", "2", 4.5),
    Town("Glen Parva", "BLABY", "LE2", "9", 4.0),
    Town("Stoney Stanton", "BLABY", "LE9", "4", 4.0),
    Town("Huncote", "BLABY", "LE9", "3", 2.0),
    # Harborough
    Town("Market Harborough", "HARBOROUGH", "LE16", "79", 24.0),
    Town("Lutterworth", "HARBOROUGH", "LE17", "4", 10.0),
    Town("Broughton Astley", "HARBOROUGH", "LE9", "6", 9.0),
    Town("Kibworth", "HARBOROUGH", "LE8", "0", 6.0),
    Town("Fleckney", "HARBOROUGH", "LE8", "8", 5.0),
    Town("Great Glen", "HARBOROUGH", "LE8", "9", 4.0),
    Town("Thurnby", "HARBOROUGH", "LE7", "9", 3.0),
    Town("Scraptoft", "HARBOROUGH", "LE7", "9", 2.0),
    Town("Husbands Bosworth", "HARBOROUGH", "LE17", "6", 1.0),
    # Oadby and Wigston
    Town("Wigston", "OADBY_WIGSTON", "LE18", "1234", 45.0),
    Town("Oadby", "OADBY_WIGSTON", "LE2", "45", 40.0),
    Town("South Wigston", "OADBY_WIGSTON", "LE18", "4", 10.0),
    # Melton
    Town("Melton Mowbray", "MELTON", "LE13", "01", 53.0),
    Town("Bottesford", "MELTON", "NG13", "0", 7.0),
    Town("Asfordby", "MELTON", "LE14", "3", 6.0),
    Town("Waltham on the Wolds", "MELTON", "LE14", "4", 2.0),
    Town("Long Clawson", "MELTON", "LE14", "4", 2.0),
    Town("Old Dalby", "MELTON", "LE14", "3", 2.0),
)

# Market towns named in the 2019 report as affected by county lines (paragraph 15).
COUNTY_LINES_TOWNS: tuple[str, ...] = ("Loughborough", "Coalville", "Hinckley", "Market Harborough")


@dataclass(frozen=True, slots=True)
class OutOfCountyPlace:
    town: str
    area: str  # police force / region, as a user would say it
    outcodes: tuple[str, ...]
    in_force_area: bool  # inside the Leicestershire Police area (Leicester City is)


OUT_OF_COUNTY_PLACES: tuple[OutOfCountyPlace, ...] = (
    OutOfCountyPlace("Birmingham", "West Midlands", ("B6", "B8", "B9", "B10", "B11", "B21", "B23"), False),
    OutOfCountyPlace("London", "London", ("E5", "E8", "N15", "N17"), False),
    OutOfCountyPlace("Corby", "Northamptonshire", ("NN17", "NN18"), False),
    OutOfCountyPlace("Nuneaton", "Warwickshire", ("CV10", "CV11"), False),
    OutOfCountyPlace("Nottingham", "Nottinghamshire", ("NG3", "NG5", "NG6", "NG7"), False),
    OutOfCountyPlace("Coventry", "West Midlands", ("CV1", "CV2", "CV6"), False),
    OutOfCountyPlace("Northampton", "Northamptonshire", ("NN1", "NN3", "NN5"), False),
    OutOfCountyPlace("Derby", "Derbyshire", ("DE1", "DE22", "DE23"), False),
    OutOfCountyPlace("Leicester", "Leicester City", ("LE1", "LE3", "LE4", "LE5"), True),
)
OUT_OF_COUNTY_BY_TOWN: dict[str, OutOfCountyPlace] = {p.town: p for p in OUT_OF_COUNTY_PLACES}

# Letters used in the unit part of an inward code (no C, I, K, M, O, V).
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

STREET_STEMS: tuple[str, ...] = (
    "Church",
    "Station",
    "Mill",
    "Park",
    "Victoria",
    "Albert",
    "Forest",
    "Meadow",
    "Orchard",
    "Chestnut",
    "Beech",
    "Oak",
    "Willow",
    "Ash",
    "Elm",
    "Holly",
    "Hawthorn",
    "Rowan",
    "Sycamore",
    "Lime",
    "Cedar",
    "Juniper",
    "Laburnum",
    "Granby",
    "Charnwood",
    "Bosworth",
    "Belvoir",
    "Wreake",
    "Soar",
    "Kingfisher",
    "Heron",
    "Swallow",
    "Linnet",
    "Wren",
    "Bramble",
    "Fern",
    "Foxglove",
    "Bluebell",
    "Primrose",
    "Clover",
    "Heather",
    "Thistle",
    "Burleigh",
    "Spinney",
    "Paddock",
    "Brook",
    "Bridge",
    "Canal",
    "Wharf",
    "Chapel",
    "Castle",
    "Manor",
    "Grange",
    "Priory",
    "Abbey",
    "Hall",
    "Windmill",
    "Hill",
    "Valley",
    "Glebe",
    "Sandy",
    "Stone",
    "Quarry",
    "Coppice",
    "Croft",
    "Green",
    "Field",
    "Bakers",
    "Tanners",
    "Weavers",
    "Hosiery",
    "Foundry",
    "Railway",
    "Cemetery",
    "School",
    "Market",
    "Sheep",
    "Cattle",
    "Hay",
    "Barley",
    "Wheatfield",
    "Cornfield",
    "Badger",
    "Fox",
    "Kestrel",
    "Skylark",
    "Lapwing",
    "Curlew",
    "Osprey",
    "Harebell",
    "Cowslip",
    "Larch",
    "Alder",
    "Hazel",
    "Poplar",
    "Maple",
    "Birch",
    "Aspen",
    "Copse",
    "Ridgeway",
    "Highfield",
    "Broadway",
    "Springfield",
    "Westfield",
    "Northfield",
    "Southfield",
    "Eastfield",
    "Greenacre",
    "Fairfield",
)
STREET_SUFFIXES: tuple[tuple[str, float], ...] = (
    ("Road", 25),
    ("Street", 15),
    ("Close", 12),
    ("Lane", 10),
    ("Avenue", 8),
    ("Drive", 8),
    ("Way", 6),
    ("Crescent", 5),
    ("Gardens", 3),
    ("Grove", 3),
    ("Court", 2),
    ("Walk", 1),
    ("Rise", 1),
    ("View", 1),
    ("Place", 1),
    ("Mews", 1),
)
HOUSE_NAMES: tuple[str, ...] = (
    "The Willows",
    "Oak House",
    "Meadowview",
    "Beech Lodge",
    "The Limes",
    "Cedar House",
    "Rowan Lodge",
    "Hawthorn House",
    "Brookside",
    "The Laurels",
    "Elm Lodge",
    "Ashfield House",
)

DISTRICT_NAMES: dict[str, str] = {code: name for code, name, _w in DISTRICTS}
