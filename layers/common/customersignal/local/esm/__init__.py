"""A local Lambda event-source mapping for Kafka: polls topics and invokes handlers as AWS would.

``python -m customersignal.local.esm`` (``cli``) reads template.yaml and runs one poller per ``MSK`` or
``SelfManagedKafka`` event. The parts, one purpose each:

``intrinsics``: parameters, Conditions and the intrinsics a local run needs.
``sources``: each Kafka event's mapping settings, checked as AWS checks them.
``events``: the exact invocation event. ``batching``: when to invoke, what goes in a batch (pure).
``failures``: retries, bisection, partial batch responses, record age, commits (pure).
``invoke``: the handler in this process, with Lambda's context and error rules.
``consumer``: the Kafka consumer, starting positions, lag. ``destinations``: on-failure destinations.
``poller``: the loop that ties them together. ``status``: summaries and the status file.
"""
