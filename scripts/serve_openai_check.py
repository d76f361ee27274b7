"""Drive a running `tessera serve` with the official `openai` package.

Run by tests/serve_openai.rs (with the venv of scripts/setup.sh), which starts
the servers and passes their addresses:

    python scripts/serve_openai_check.py --base-url http://127.0.0.1:PORT/v1 \
        --model tiny-llama --model-path tests/data/decoders/tiny-llama \
        --tessera target/debug/tessera [--embed-dir DIR --embed-id ID] \
        [--small-queue-url http://127.0.0.1:PORT2/v1] \
        [--chat-url http://127.0.0.1:PORT3/v1 --chat-model tiny-chat \
         --chat-model-path tests/data/chat/tiny-chat]

Checks: models listed; completions, whole and streamed (usage in the last
chunk), equal to `tessera generate`'s sequential greedy text; chat, whole and
streamed, equal to transformers' greedy turns of the tiny chat model; 16
concurrent streams equal to the sequential outputs; embeddings (float and the
client's default base64) equal to `tessera embed`'s; the error cases as the
client's typed exceptions; a full queue as RateLimitError. Exits non-zero on
the first failure.
"""

import argparse
import concurrent.futures
import json
import subprocess
import sys
import urllib.error
import urllib.request

import openai


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def tessera_json_lines(args, cmd):
    out = subprocess.run([args.tessera, *cmd], check=True, capture_output=True, text=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def sequential_greedy(args, prompt, max_tokens):
    cmd = ["generate", "--model", args.model_path, "--prompt", prompt, "--json",
           "--max-new-tokens", str(max_tokens)]
    return tessera_json_lines(args, cmd)[0]["text"]


def check_models(client, args):
    ids = [m.id for m in client.models.list().data]
    want = [args.model] + ([args.embed_id] if args.embed_dir else [])
    check(ids == want, f"models {ids} != {want}")


def check_completions(client, args):
    for prompt in ["The quick brown fox", "Über café 日本"]:
        expected = sequential_greedy(args, prompt, 24)
        r = client.completions.create(model=args.model, prompt=prompt, max_tokens=24, temperature=0)
        check(r.choices[0].text == expected, f"completion {r.choices[0].text!r} != {expected!r}")
        check(r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens, r.usage)
        text, usage, finish = "", None, None
        for chunk in client.completions.create(model=args.model, prompt=prompt, max_tokens=24,
                                               temperature=0, stream=True,
                                               stream_options={"include_usage": True}):
            if chunk.choices:
                text += chunk.choices[0].text
                finish = chunk.choices[0].finish_reason or finish
            if chunk.usage is not None:
                usage = chunk.usage
        check(text == expected, f"streamed completion {text!r} != {expected!r}")
        check(finish == r.choices[0].finish_reason, f"finish {finish} != {r.choices[0].finish_reason}")
        check(usage is not None and usage.completion_tokens == r.usage.completion_tokens, usage)
    full = sequential_greedy(args, "The quick brown fox", 40)
    stop = full[8:10]
    r = client.completions.create(model=args.model, prompt="The quick brown fox", max_tokens=40,
                                  temperature=0, stop=stop)
    want = full[: full.find(stop)]
    check(r.choices[0].text == want and r.choices[0].finish_reason == "stop",
          f"stop {stop!r}: {r.choices[0].text!r} != {want!r}")


def check_chat(url, args):
    """Chat on the tiny chat model against transformers' greedy turns (its reference.json)."""
    client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0, timeout=300)
    with open(f"{args.chat_model_path}/reference.json") as f:
        ref = json.load(f)
    messages = [{"role": "system", "content": ref["system"]}, {"role": "user", "content": ref["prompt"]}]
    r = client.chat.completions.create(model=args.chat_model, messages=messages, max_tokens=24, temperature=0)
    check(r.choices[0].message.content == ref["text"], f"chat {r.choices[0].message.content!r} != {ref['text']!r}")
    check(r.choices[0].message.role == "assistant" and r.choices[0].finish_reason == "stop", r.choices[0])
    check(r.usage.prompt_tokens == len(ref["prompt_ids"]) and r.usage.completion_tokens == len(ref["ids"]), r.usage)
    text, usage, role = "", None, None
    for chunk in client.chat.completions.create(model=args.chat_model, messages=messages, max_tokens=24,
                                                temperature=0, stream=True,
                                                stream_options={"include_usage": True}):
        if chunk.choices:
            role = role or chunk.choices[0].delta.role
            text += chunk.choices[0].delta.content or ""
        if chunk.usage is not None:
            usage = chunk.usage
    check(text == ref["text"] and role == "assistant", f"streamed chat {text!r} ({role}) != {ref['text']!r}")
    check(usage is not None and usage.total_tokens == r.usage.total_tokens, f"{usage} != {r.usage}")
    first = ref["chat"][0]
    r = client.chat.completions.create(model=args.chat_model, messages=[{"role": "user", "content": first["user"]}],
                                       max_tokens=24, temperature=0)
    check(r.choices[0].message.content == first["text"], f"{r.choices[0].message.content!r} != {first['text']!r}")


def check_concurrent_streams(client, args):
    prompts = [f"Stream number {i} says" for i in range(16)]
    sequential = [client.completions.create(model=args.model, prompt=p, max_tokens=20, temperature=0)
                  .choices[0].text for p in prompts]

    def stream(prompt):
        return "".join(c.choices[0].text for c in client.completions.create(
            model=args.model, prompt=prompt, max_tokens=20, temperature=0, stream=True) if c.choices)

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        concurrent_outputs = list(pool.map(stream, prompts))
    check(concurrent_outputs == sequential, f"{concurrent_outputs} != {sequential}")


def check_embeddings(client, args):
    texts = ["a cat sits on the mat", "A kitten rests on a rug.", "日本語のテキスト"]
    expected = [line["embedding"] for line in
                tessera_json_lines(args, ["embed", "--model", args.embed_dir, *texts])]
    as_float = client.embeddings.create(model=args.embed_id, input=texts, encoding_format="float")
    default = client.embeddings.create(model=args.embed_id, input=texts)  # base64 on the wire
    for name, response in [("float", as_float), ("default", default)]:
        got = [d.embedding for d in response.data]
        check(len(got) == len(expected), name)
        for g, e in zip(got, expected):
            worst = max(abs(a - b) for a, b in zip(g, e))
            check(len(g) == len(e) and worst == 0.0, f"{name}: max |diff| {worst}")
    # One text is its own batch (no padding), as `tessera embed` with one text.
    alone = tessera_json_lines(args, ["embed", "--model", args.embed_dir, texts[1]])[0]["embedding"]
    one = client.embeddings.create(model=args.embed_id, input=texts[1], encoding_format="float")
    check(one.data[0].embedding == alone, "a string input")
    check(one.usage.prompt_tokens > 0, one.usage)


def expect_error(kind, call, param=None, code=None):
    try:
        call()
    except kind as e:
        body = e.body if isinstance(e.body, dict) else {}
        check(isinstance(body.get("message"), str), f"{kind.__name__}: body {e.body}")
        if param is not None:
            check(body.get("param") == param, f"param {body.get('param')} != {param}: {e.body}")
        if code is not None:
            check(body.get("code") == code, f"code {body.get('code')} != {code}: {e.body}")
        return
    raise AssertionError(f"expected {kind.__name__}")


def check_errors(client, args):
    m = args.model
    expect_error(openai.BadRequestError, lambda: client.chat.completions.create(model=m, messages=[]),
                 param="messages")
    expect_error(openai.BadRequestError, lambda: client.completions.create(
        model=m, prompt="hi", max_tokens=100000), param="max_tokens", code="context_length_exceeded")
    expect_error(openai.BadRequestError, lambda: client.completions.create(
        model="no-such-model", prompt="hi"), param="model", code="model_not_found")
    expect_error(openai.BadRequestError, lambda: client.completions.create(
        model=m, prompt="hi", extra_body={"max_tokens": "ten"}), param="max_tokens")
    expect_error(openai.BadRequestError, lambda: client.completions.create(
        model=m, prompt="hi", temperature=-1), param="temperature")
    expect_error(openai.BadRequestError, lambda: client.completions.create(
        model=m, prompt="hi", stream=True, max_tokens=100000), param="max_tokens")
    request = urllib.request.Request(f"{args.base_url}/completions", data=b'{"model": "x", "prompt": ',
                                     headers={"content-type": "application/json"})
    try:
        urllib.request.urlopen(request)
        raise AssertionError("malformed JSON was accepted")
    except urllib.error.HTTPError as e:
        body = json.loads(e.read())
        check(e.code == 400 and "message" in body["error"], f"malformed JSON: {e.code} {body}")


def check_full_queue(url, args):
    client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)

    def one(i):
        try:
            for _ in client.completions.create(model=args.model, prompt=f"request {i}", max_tokens=100,
                                               temperature=0, stream=True):
                pass
            return "ok"
        except openai.RateLimitError:
            return "429"

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(one, range(12)))
    check("429" in outcomes and "ok" in outcomes, f"outcomes {outcomes}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--model-path", required=True)
    p.add_argument("--tessera", required=True)
    p.add_argument("--embed-dir")
    p.add_argument("--embed-id")
    p.add_argument("--chat-url", help="a server of the tiny chat model")
    p.add_argument("--chat-model")
    p.add_argument("--chat-model-path")
    p.add_argument("--small-queue-url")
    args = p.parse_args()
    client = openai.OpenAI(base_url=args.base_url, api_key="unused", max_retries=0, timeout=300)
    steps = [("models", check_models), ("completions", check_completions),
             ("concurrent streams", check_concurrent_streams), ("errors", check_errors)]
    if args.embed_dir:
        steps.append(("embeddings", check_embeddings))
    for name, step in steps:
        step(client, args)
        print(f"ok: {name}", flush=True)
    if args.chat_url:
        check_chat(args.chat_url, args)
        print("ok: chat", flush=True)
    if args.small_queue_url:
        check_full_queue(args.small_queue_url, args)
        print("ok: full queue", flush=True)
    print(f"openai {openai.__version__}: all checks passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
