"""Code that builds prompts: every control-token string as plain text."""

import os

TOKENS = [
    "<bos>",
    "<eos>",
    "<pad>",
    "<start_of_turn>",
    "<end_of_turn>",
    "<start_function_declaration>",
    "<end_function_declaration>",
    "<start_function_call>",
    "<end_function_call>",
    "<start_function_response>",
    "<end_function_response>",
    "<escape>",
]


def prompt(text, call=None):
    """Wrap ``text`` in a turn; ``call`` adds <start_function_call>call:x{}<end_function_call>."""
    if call == None:
        return f"<start_of_turn>user\n{text}<end_of_turn>\n"
    return f"<start_of_turn>model\n<start_function_call>call:{call}{{a:<escape>b<escape>}}<end_function_call>"
