"""One Logger for the whole package. Modules log through `logging.getLogger("ottwatch.<name>")`, which
propagates to this Powertools logger (named after the service), so every line is structured JSON."""

import sys

from aws_lambda_powertools import Logger

logger = Logger(service="ottwatch", stream=sys.stderr)
