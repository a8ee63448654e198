"""Reference data shipped with the app (countries, départements, communes, postal codes,
lycées, bac tables) and its loaders.

- `loader.load_referential()` loads the files of `data/` (produced by
  `tools/convert_referential.py` from open data; licences in `data/LICENCES.md`);
- `etablissements.import_etablissements()` imports the national school directory
  ("annuaire de l'éducation") that a university downloads itself.
"""
import os

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
