"""What the outcome report and the web's outcomes page share beyond the templates: the attribution
basis in words (:mod:`pantau.reporting.basis`) and the report's rendering (:mod:`pantau.reporting.render`).
"""
