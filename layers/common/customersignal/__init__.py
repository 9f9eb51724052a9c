"""CustomerSignal: the shared package (domain, ports, adapters, settings, observability).

Shipped to Lambda as the `common` layer and installed editable (`pip install -e .`) for development.
"""
