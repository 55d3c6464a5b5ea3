// Bundled by CDK (NodejsFunction): validate an order.
exports.handler = async (event) => {
  const problems = [];
  if (!event.orderId) problems.push("orderId is missing");
  if (!(event.items || []).length) problems.push("no items");
  return { valid: problems.length === 0, problems };
};
