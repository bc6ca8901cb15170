"""The DeepFashion Category & Attribute benchmark layout: file names, header lines, slot maps.

Shared by the reader (data.py) and the writer (synth.py) so both agree to the byte.
"""

from __future__ import annotations

CATEGORY_CLOTH = "Anno/list_category_cloth.txt"
CATEGORY_IMG = "Anno/list_category_img.txt"
ATTR_CLOTH = "Anno/list_attr_cloth.txt"
ATTR_IMG = "Anno/list_attr_img.txt"
LANDMARKS = "Anno/list_landmarks.txt"
BBOX = "Anno/list_bbox.txt"
PARTITION = "Eval/list_eval_partition.txt"

HEADERS: dict[str, list[str]] = {
    CATEGORY_CLOTH: ["category_name", "category_type"],
    CATEGORY_IMG: ["image_name", "category_label"],
    ATTR_CLOTH: ["attribute_name", "attribute_type"],
    ATTR_IMG: ["image_name", "attribute_labels"],
    BBOX: ["image_name", "x_1", "y_1", "x_2", "y_2"],
    PARTITION: ["image_name", "evaluation_status"],
}


def landmark_header(variation_type: bool) -> list[str]:
    """The landmark file's header words, with or without the Landmark Detection benchmark's column."""
    words = ["image_name", "clothes_type"] + (["variation_type"] if variation_type else [])
    for i in range(1, 9):
        words += [f"landmark_visibility_{i}", f"landmark_location_x_{i}", f"landmark_location_y_{i}"]
    return words


# Clothes type -> which of the 8 network slots its triplets fill, in file order.
# Network order: left/right collar, left/right sleeve, left/right waistline, left/right hem.
UPPER, LOWER, FULL = 1, 2, 3
SLOTS_BY_CLOTHES_TYPE: dict[int, tuple[int, ...]] = {
    UPPER: (0, 1, 2, 3, 6, 7),
    LOWER: (4, 5, 6, 7),
    FULL: (0, 1, 2, 3, 4, 5, 6, 7),
}
LANDMARK_NAMES = (
    "left collar", "right collar", "left sleeve", "right sleeve",
    "left waistline", "right waistline", "left hem", "right hem",
)
# Pairs swapped by a horizontal flip.
MIRROR_SLOTS = (1, 0, 3, 2, 5, 4, 7, 6)

# The benchmark's 50 categories in list_category_cloth.txt order, with their clothes types
# (1 upper, 2 lower, 3 full body); a category's label is its 1-based position.
BENCHMARK_CATEGORIES: tuple[tuple[str, int], ...] = tuple(
    [(n, 1) for n in (
        "Anorak", "Blazer", "Blouse", "Bomber", "Button-Down", "Cardigan", "Flannel", "Halter",
        "Henley", "Hoodie", "Jacket", "Jersey", "Parka", "Peacoat", "Poncho", "Sweater", "Tank",
        "Tee", "Top", "Turtleneck")]
    + [(n, 2) for n in (
        "Capris", "Chinos", "Culottes", "Cutoffs", "Gauchos", "Jeans", "Jeggings", "Jodhpurs",
        "Joggers", "Leggings", "Sarong", "Shorts", "Skirt", "Sweatpants", "Sweatshorts", "Trunks")]
    + [(n, 3) for n in (
        "Caftan", "Cape", "Coat", "Coverup", "Dress", "Jumpsuit", "Kaftan", "Kimono", "Nightdress",
        "Onesie", "Robe", "Romper", "Shirtdress", "Sundress")]
)
VISIBLE, OCCLUDED, TRUNCATED = 0, 1, 2
ATTRIBUTE_TYPE_NAMES = {1: "texture", 2: "fabric", 3: "shape", 4: "part", 5: "style"}
SPLITS = ("train", "val", "test")
