"""Public collection (网站征集): the public form, its receipt codes and the review queue."""
