"""Serving: the REST API and the trainers' demo page over the one scoring path of the model.

It owns the FastAPI app (`app.create_app`; routers in `routes/`, request and response models in
`schemas`, the error format in `handlers`, the body limit and metrics in `middleware`, what
handlers receive in `dependencies`, the offline /docs in `docs`), the demo page (`webpage`,
`web/`) and the worker processes with their connection dealer (`workers`). It may import the
model (`tppo_screen.model`) and the base (errors, config, graph, tables); it never imports
batch, training, corpus or the CLI, and nothing in the model imports it.
"""
