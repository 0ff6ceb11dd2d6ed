"""Veo Playground: a browser playground for Google Veo 3.1 through the Wave task API.

Where things live: ``catalog`` (models, rules), ``pricing`` (cost), ``client`` (the API),
``simulator`` (the stand-in service), ``settings`` (operator configuration).
"""
