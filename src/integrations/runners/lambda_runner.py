# stepdbg's stand-in for the AWS Lambda Python runtime: imports the handler file, calls the
# handler with the event (stdin) and a context object, and answers on the original stdout
# ("ok\n" or "error\n", then the JSON text) the way the Lambda runtime serialises results
# and errors. The handler's own prints go to stderr with its logging: both are its log.
import importlib.util
import json
import os
import sys
import traceback

env = os.environ
answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)


def respond(kind, text):
    answer.write(kind + "\n" + text)
    answer.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    # Like a frozen sandbox: threads the handler left running do not keep the call open.
    os._exit(0)


def make_error(message, error_type, stack_trace):
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": env["STEPDBG_REQUEST_ID"],
        "stackTrace": stack_trace or [],
    }


def fault(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    # Drop this runner's own frames (it runs as "<string>"), as Lambda drops its bootstrap's.
    while frames and frames[0].filename == "<string>":
        frames = frames[1:]
    return make_error(str(exc), type(exc).__name__, traceback.format_list(frames))


class ClientContext:
    def __init__(self, doc):
        self.client = doc.get("client")
        self.custom = doc.get("custom")
        self.env = doc.get("env")


class LambdaContext:
    def __init__(self):
        self.aws_request_id = env["STEPDBG_REQUEST_ID"]
        self.function_name = env["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = env["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = env["STEPDBG_INVOKED_FUNCTION_ARN"]
        self.memory_limit_in_mb = env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = env["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = env["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        client_context = env.get("STEPDBG_CLIENT_CONTEXT")
        self.client_context = ClientContext(json.loads(client_context)) if client_context else None
        self._deadline_ms = int(env["STEPDBG_DEADLINE_MS"])

    def get_remaining_time_in_millis(self):
        import time

        return max(0, self._deadline_ms - int(time.time() * 1000))


def main():
    path = env["STEPDBG_HANDLER_FILE"]
    handler_name = env["STEPDBG_HANDLER_NAME"]
    module_name = os.path.splitext(os.path.basename(path))[0]
    event_text = sys.stdin.read()
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n        %s\n' % (e.filename, e.lineno, (e.text or "").strip())]
        respond("error", json.dumps(make_error("Syntax error in module '%s': %s" % (module_name, e), "Runtime.UserCodeSyntaxError", trace)))
    except ImportError as e:
        respond("error", json.dumps(make_error("Unable to import module '%s': %s" % (module_name, e), "Runtime.ImportModuleError", [])))
    except Exception as e:
        respond("error", json.dumps(fault(e)))
    handler = getattr(module, handler_name, None)
    if handler is None:
        respond("error", json.dumps(make_error("Handler '%s' missing on module '%s'" % (handler_name, module_name), "Runtime.HandlerNotFound", [])))
    try:
        result = handler(json.loads(event_text), LambdaContext())
    except Exception as e:
        respond("error", json.dumps(fault(e)))
    try:
        text = json.dumps(result)
    except Exception as e:
        respond("error", json.dumps(make_error("Unable to marshal response: %s" % e, "Runtime.MarshalError", [])))
    respond("ok", text)


main()
