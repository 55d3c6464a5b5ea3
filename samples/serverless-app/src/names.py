"""Pick the name to greet."""


def pick(event, context):
    names = event.get("names") or ["world"]
    return names[0]
