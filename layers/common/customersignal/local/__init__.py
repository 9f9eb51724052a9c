"""Local runners for what AWS runs in the cloud: for development machines only, never in the Lambda layer.

``gateway``: an ASGI app that serves a Chalice app exactly as API Gateway REST (Lambda proxy) would.
``serve``: ``python -m customersignal.local.serve`` runs a template.yaml function through it on uvicorn.
``template``: reads template.yaml (CloudFormation tags kept as data) for function specs and API routes.
"""
