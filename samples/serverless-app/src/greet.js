// Greet a name with the stage's greeting.
exports.handler = async (event) => ({
  message: `${process.env.GREETING}, ${event.name}!`,
});
