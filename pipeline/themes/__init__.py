"""Stage *themes*: sentences and tokens → problems, mechanisms, carriers, measures.

- :mod:`.codebook`   the themes, their word lists and the order of the rules (codebook.yaml)
- :mod:`.rules`      the registry of named extraction rules and the item finisher
- :mod:`.classifier` the sentence classifier that scores items and adds confident ones
- :mod:`.tables`     theme_items and the city × theme matrix
- :mod:`.evaluate`   items against a hand-coded gold; agreement between coders
"""
