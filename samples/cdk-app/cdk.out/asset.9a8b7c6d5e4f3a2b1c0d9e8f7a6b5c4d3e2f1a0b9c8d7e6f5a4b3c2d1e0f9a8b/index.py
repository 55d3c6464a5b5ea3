"""Copied by CDK (PythonFunction): total an order's items."""


def handler(event, context):
    total = sum(item["price"] * item["qty"] for item in event["items"])
    return {"orderId": event["orderId"], "total": round(total, 2)}
