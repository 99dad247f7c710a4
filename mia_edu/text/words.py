"""The word lists of the generated corpus, written out so the text is the same everywhere.

Each list is a tuple of plain ASCII strings; :mod:`mia_edu.text.corpus` draws from them with a
seeded ``numpy.random.Generator``. Changing a list changes the corpus (a test pins its hash).
"""

FIRST_NAMES = (
    "Ada", "Alan", "Amir", "Anna", "Ben", "Carla", "Chen", "Dara", "David", "Eli",
    "Emma", "Farah", "Felix", "Grace", "Hana", "Ivan", "Jana", "Jonas", "Kai", "Lara",
    "Leo", "Lina", "Marco", "Maya", "Nadia", "Noah", "Omar", "Paula", "Quinn", "Rosa",
    "Sami", "Sara", "Tariq", "Tess", "Uma", "Victor", "Wen", "Yara", "Yusuf", "Zoe",
)

LAST_NAMES = (
    "Abara", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kowalski", "Larsen", "Meyer", "Nakamura", "Novak", "Okafor", "Petrov", "Quint", "Rossi", "Santos",
    "Schmidt", "Silva", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhou", "Moreau",
)

CONDITIONS = (
    "asthma", "anaemia", "angina", "arthritis", "bronchitis", "diabetes", "eczema", "epilepsy",
    "gout", "hepatitis", "insomnia", "lupus", "migraine", "psoriasis", "sciatica", "shingles",
    "tinnitus", "vertigo", "depression", "an ulcer",
)

CLINICS = (
    "Northside", "Riverside", "St Anne", "Hillview", "Lakeside", "Old Town", "Westgate", "Parkway",
    "Elm Road", "Harbour", "Meadow", "Kingsway",
)
