"""Name pools and nickname variants for the synthetic county.

Adults of White British / Irish / Black Caribbean heritage get names drawn once from Faker('en_GB')
(seeded per instance) and then sampled with the generator's own ``random.Random``; children born
since 2000 get names from a hand-made list of common recent English first names.  Other heritages
use small hand-made lists of names common in the matching communities of Leicestershire and Leicester
(Gujarati and Punjabi Indian, Pakistani, Bangladeshi, Somali and other African, Polish and Romanian,
Chinese, Kurdish / Afghan / Arab).  The lists are general knowledge, not copied from any source.

``NICKNAME_GROUPS`` drives the "nickname" identity-noise kind (Liam <-> William, Jack <-> John ...).
"""

from __future__ import annotations

import random

from faker import Faker

# Common first names of English children born 2000-2020 (most common first; sampled with Zipf weights).
CHILD_BOYS: tuple[str, ...] = (
    "Oliver",
    "Jack",
    "Harry",
    "George",
    "Noah",
    "Charlie",
    "Jacob",
    "Alfie",
    "Freddie",
    "Oscar",
    "Leo",
    "Thomas",
    "William",
    "James",
    "Joshua",
    "Daniel",
    "Samuel",
    "Joseph",
    "Ethan",
    "Lewis",
    "Max",
    "Archie",
    "Henry",
    "Theo",
    "Arthur",
    "Liam",
    "Tyler",
    "Mason",
    "Kai",
    "Riley",
    "Logan",
    "Jayden",
    "Callum",
    "Connor",
    "Kieran",
    "Alexander",
    "Benjamin",
    "Matthew",
    "Luke",
    "Dylan",
    "Isaac",
    "Finley",
    "Harrison",
    "Reuben",
    "Jamie",
    "Ryan",
    "Lucas",
    "Toby",
    "Sebastian",
    "Adam",
    "Nathan",
    "Frederick",
    "Alfred",
    "Edward",
    "Teddy",
    "Elliot",
    "Jake",
    "Bradley",
    "Kyle",
    "Owen",
    "Louis",
    "Michael",
    "Christopher",
    "Aaron",
    "Cameron",
    "Zachary",
    "Jenson",
    "Harvey",
    "Frankie",
    "Ronnie",
)
CHILD_GIRLS: tuple[str, ...] = (
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Emily",
    "Isabella",
    "Mia",
    "Poppy",
    "Ella",
    "Lily",
    "Sophie",
    "Grace",
    "Chloe",
    "Jessica",
    "Ruby",
    "Evie",
    "Charlotte",
    "Freya",
    "Daisy",
    "Millie",
    "Holly",
    "Lucy",
    "Ellie",
    "Katie",
    "Megan",
    "Lauren",
    "Hannah",
    "Abigail",
    "Eleanor",
    "Florence",
    "Sienna",
    "Willow",
    "Rosie",
    "Phoebe",
    "Amber",
    "Erin",
    "Scarlett",
    "Matilda",
    "Elizabeth",
    "Katherine",
    "Rebecca",
    "Alexandra",
    "Victoria",
    "Samantha",
    "Courtney",
    "Leah",
    "Niamh",
    "Evelyn",
    "Harper",
    "Isabelle",
    "Jasmine",
    "Madison",
    "Paige",
    "Molly",
    "Imogen",
    "Summer",
    "Lola",
    "Bethany",
)

# Names by heritage group: (boys/men, girls/women, family names).
HERITAGE_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "irish": (
        ("Sean", "Ciaran", "Liam", "Patrick", "Conor", "Declan", "Niall", "Eoin", "Cian", "Darragh"),
        ("Niamh", "Aoife", "Siobhan", "Ciara", "Roisin", "Orla", "Sinead", "Grainne", "Caoimhe"),
        (
            "Murphy",
            "Kelly",
            "O'Brien",
            "Byrne",
            "Ryan",
            "O'Connor",
            "Doyle",
            "McCarthy",
            "Gallagher",
            "Quinn",
            "Flanagan",
            "O'Neill",
            "Brennan",
            "Nolan",
        ),
    ),
    "traveller": (
        ("Patrick", "John", "Michael", "Tommy", "Jimmy", "Martin", "Johnny", "Billy"),
        ("Mary", "Bridget", "Margaret", "Kathleen", "Nora", "Ellen", "Anne"),
        ("Ward", "McDonagh", "Joyce", "Maughan", "Doran", "Price", "Lee", "Smith", "Boswell", "Loveridge"),
    ),
    "eastern_european": (
        (
            "Jakub",
            "Kacper",
            "Szymon",
            "Filip",
            "Mateusz",
            "Andrei",
            "Ionut",
            "Lukas",
            "Tomasz",
            "Piotr",
            "Michal",
            "Adrian",
            "Marius",
            "Dawid",
        ),
        (
            "Zuzanna",
            "Julia",
            "Maja",
            "Wiktoria",
            "Natalia",
            "Oliwia",
            "Andreea",
            "Ioana",
            "Agnieszka",
            "Monika",
            "Katarzyna",
            "Elena",
        ),
        (
            "Nowak",
            "Wójcik",
            "Kowalczyk",
            "Mazur",
            "Krawczyk",
            "Popescu",
            "Ionescu",
            "Dumitru",
            "Kazlauskas",
            "Zając",
            "Wróbel",
            "Dudek",
            "Petrov",
            "Horvath",
        ),
    ),
    "indian": (
        (
            "Aarav",
            "Arjun",
            "Rohan",
            "Dev",
            "Krish",
            "Rahul",
            "Vikram",
            "Sanjay",
            "Rajesh",
            "Nikhil",
            "Harpreet",
            "Jaspal",
            "Gurpreet",
            "Amit",
            "Dhruv",
            "Kiran",
        ),
        (
            "Priya",
            "Anjali",
            "Riya",
            "Pooja",
            "Nisha",
            "Kavita",
            "Meera",
            "Diya",
            "Asha",
            "Simran",
            "Jaspreet",
            "Manpreet",
            "Hetal",
            "Sonal",
        ),
        (
            "Patel",
            "Mistry",
            "Shah",
            "Parmar",
            "Chauhan",
            "Lad",
            "Solanki",
            "Makwana",
            "Chavda",
            "Joshi",
            "Singh",
            "Sandhu",
            "Gill",
            "Dhillon",
            "Mehta",
            "Pandya",
            "Gohil",
        ),
    ),
    "pakistani_bangladeshi": (
        (
            "Mohammed",
            "Muhammad",
            "Ahmed",
            "Ali",
            "Hassan",
            "Bilal",
            "Imran",
            "Zain",
            "Ayaan",
            "Ibrahim",
            "Yusuf",
            "Hamza",
            "Adnan",
            "Rizwan",
        ),
        (
            "Aisha",
            "Fatima",
            "Maryam",
            "Zara",
            "Hafsa",
            "Amina",
            "Sana",
            "Ayesha",
            "Noor",
            "Zainab",
            "Nadia",
            "Samina",
        ),
        (
            "Khan",
            "Hussain",
            "Ahmed",
            "Ali",
            "Akhtar",
            "Iqbal",
            "Mahmood",
            "Rahman",
            "Uddin",
            "Miah",
            "Chowdhury",
            "Shah",
            "Butt",
            "Malik",
        ),
    ),
    "african": (
        (
            "Abdi",
            "Mohamed",
            "Abdirahman",
            "Yusuf",
            "Chidi",
            "Tunde",
            "Emeka",
            "Tendai",
            "Kwame",
            "Samuel",
            "David",
            "Daniel",
            "Liban",
        ),
        (
            "Amina",
            "Hodan",
            "Fadumo",
            "Ngozi",
            "Chiamaka",
            "Blessing",
            "Grace",
            "Precious",
            "Faith",
            "Ayan",
            "Nimo",
            "Esther",
        ),
        (
            "Abdi",
            "Farah",
            "Hassan",
            "Osman",
            "Warsame",
            "Okafor",
            "Adeyemi",
            "Okonkwo",
            "Moyo",
            "Ndlovu",
            "Mensah",
            "Boateng",
            "Mohamud",
            "Ali",
        ),
    ),
    "chinese": (
        ("Wei", "Jun", "Hao", "Ming", "Jian", "Kai", "Ryan", "Daniel"),
        ("Mei", "Xin", "Ling", "Yan", "Hui", "Jia", "Amy", "Grace"),
        ("Chen", "Wang", "Li", "Zhang", "Liu", "Wong", "Lam", "Cheung", "Ng", "Ho"),
    ),
    "middle_eastern": (
        ("Omar", "Karim", "Ahmad", "Ali", "Hussein", "Rebwar", "Hiwa", "Farhad", "Sami", "Yousef"),
        ("Layla", "Noor", "Shilan", "Rana", "Hana", "Sara", "Mina", "Dilan"),
        ("Karimi", "Rahimi", "Hamid", "Saleh", "Aziz", "Ahmadi", "Mohammadi", "Rashid", "Othman"),
    ),
    "asian_other": (
        ("Sanjeev", "Tharshan", "Kajan", "Nimal", "Arun", "Roshan", "Dinesh", "Prakash"),
        ("Tharshika", "Nirosha", "Dilani", "Shalini", "Kavitha", "Malini"),
        ("Sivakumar", "Perera", "Fernando", "Rajendran", "Selvarajah", "Silva", "Gurung", "Thapa"),
    ),
}

# Which heritage list each DfE ethnicity code draws names from ("british" = Faker / CHILD_*).
ETHNICITY_NAME_GROUP: dict[str, str] = {
    "WBRI": "british",
    "WIRI": "irish",
    "WOTH": "eastern_european",
    "WIRT": "traveller",
    "WROM": "eastern_european",
    "MWBC": "british",
    "MWBA": "british",
    "MWAS": "british",
    "MOTH": "british",
    "AIND": "indian",
    "APKN": "pakistani_bangladeshi",
    "ABAN": "pakistani_bangladeshi",
    "AOTH": "asian_other",
    "BCRB": "british",
    "BAFR": "african",
    "BOTH": "african",
    "CHNE": "chinese",
    "OOTH": "middle_eastern",
    "REFU": "british",
    "NOBT": "british",
}

# Groups of interchangeable given names: formal name first, then nicknames / common variants.
NICKNAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("William", "Liam", "Will", "Billy", "Bill"),
    ("John", "Jack", "Johnny", "Jon"),
    ("Alfred", "Alfie", "Alf"),
    ("Katherine", "Kate", "Katie", "Kathryn", "Catherine", "Cath"),
    ("Alexander", "Alex", "Xander"),
    ("Alexandra", "Alex", "Lexi"),
    ("Thomas", "Tom", "Tommy"),
    ("James", "Jamie", "Jim", "Jimmy"),
    ("Oliver", "Ollie"),
    ("Henry", "Harry"),
    ("Charles", "Charlie"),
    ("Frederick", "Freddie", "Fred"),
    ("Joshua", "Josh"),
    ("Samuel", "Sam", "Sammy"),
    ("Samantha", "Sam", "Sammie"),
    ("Daniel", "Dan", "Danny"),
    ("Joseph", "Joe", "Joey"),
    ("Benjamin", "Ben"),
    ("Matthew", "Matt"),
    ("Jacob", "Jake"),
    ("Edward", "Ed", "Eddie", "Ted", "Teddy"),
    ("Theodore", "Theo"),
    ("Michael", "Mike", "Mikey", "Micky"),
    ("Christopher", "Chris"),
    ("Anthony", "Tony"),
    ("Robert", "Rob", "Robbie", "Bob"),
    ("Richard", "Rich", "Richie"),
    ("Stephen", "Steve", "Steven"),
    ("Andrew", "Andy"),
    ("David", "Dave"),
    ("Nicholas", "Nick", "Nicky"),
    ("Jonathan", "Jon", "Jonny"),
    ("Patrick", "Paddy", "Pat"),
    ("Ronald", "Ronnie", "Ron"),
    ("Francis", "Frankie", "Frank"),
    ("Cameron", "Cam"),
    ("Zachary", "Zach", "Zak"),
    ("Bradley", "Brad"),
    ("Isabella", "Bella", "Izzy", "Isabelle"),
    ("Olivia", "Liv", "Livvy"),
    ("Amelia", "Millie", "Mia"),
    ("Elizabeth", "Beth", "Lizzie", "Liz", "Eliza"),
    ("Rebecca", "Becky", "Becca"),
    ("Jessica", "Jess", "Jessie"),
    ("Abigail", "Abbie", "Abby"),
    ("Eleanor", "Ellie", "Nell"),
    ("Florence", "Flo", "Florrie"),
    ("Charlotte", "Lottie", "Charlie"),
    ("Margaret", "Maggie", "Peggy", "Meg"),
    ("Victoria", "Vicky", "Tori"),
    ("Jennifer", "Jenny", "Jen"),
    ("Susan", "Sue", "Susie"),
    ("Deborah", "Debbie", "Debs"),
    ("Madison", "Maddie"),
    ("Matilda", "Tilly"),
    ("Mohammed", "Muhammad", "Mohammad", "Mohamed"),
    ("Sophie", "Sophia"),
)


def _build_variants() -> dict[str, tuple[str, ...]]:
    variants: dict[str, list[str]] = {}
    for group in NICKNAME_GROUPS:
        for name in group:
            bucket = variants.setdefault(name, [])
            for other in group:
                if other != name and other not in bucket:
                    bucket.append(other)
    return {name: tuple(others) for name, others in variants.items()}


NAME_VARIANTS: dict[str, tuple[str, ...]] = _build_variants()


def zipf_cum_weights(n: int, exponent: float = 0.9) -> list[float]:
    """Cumulative Zipf weights for a most-common-first list of ``n`` items."""
    total = 0.0
    out = []
    for rank in range(1, n + 1):
        total += 1.0 / rank**exponent
        out.append(total)
    return out


class NamePools:
    """Faker-drawn pools (drawn once, seeded per instance) plus the hand-made lists above."""

    def __init__(self, seed: int, pool_size: int = 3000) -> None:
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        self.adult_male = [fake.first_name_male() for _ in range(pool_size)]
        self.adult_female = [fake.first_name_female() for _ in range(pool_size)]
        self.family = [fake.last_name() for _ in range(pool_size * 2)]
        self.street_stems = [fake.last_name() for _ in range(400)]
        self.boys_cum = zipf_cum_weights(len(CHILD_BOYS))
        self.girls_cum = zipf_cum_weights(len(CHILD_GIRLS))

    def given(self, rng: random.Random, sex: str, group: str, birth_year: int) -> str:
        if group == "british":
            if birth_year >= 2000:
                if sex == "M":
                    return rng.choices(CHILD_BOYS, cum_weights=self.boys_cum)[0]
                return rng.choices(CHILD_GIRLS, cum_weights=self.girls_cum)[0]
            return rng.choice(self.adult_male if sex == "M" else self.adult_female)
        boys, girls, _family = HERITAGE_NAMES[group]
        return rng.choice(boys if sex == "M" else girls)

    def family_name(self, rng: random.Random, group: str) -> str:
        if group == "british":
            return rng.choice(self.family)
        return rng.choice(HERITAGE_NAMES[group][2])
