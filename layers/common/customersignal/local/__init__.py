"""Local runners for what AWS runs in the cloud: for development machines only, never in the Lambda layer.

``gateway``: an ASGI app that serves a Chalice app exactly as API Gateway REST (Lambda proxy) would.
``serve``: ``python -m customersignal.local.serve`` runs a template.yaml function through it on uvicorn.
``template``: reads template.yaml (CloudFormation tags kept as data) for function specs and API routes.
``runtime``: what both runners share with Lambda's Python runtime: the handler import, the context object.
``esm``: ``python -m customersignal.local.esm`` polls template.yaml's Kafka event sources and invokes their
handlers as Lambda's event-source mapping would.
"""
