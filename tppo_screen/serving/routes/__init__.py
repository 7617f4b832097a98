"""The API's routes, one router per concern: `scoring` (POST /v1/score, /v1/score/batch), `image`
(POST /v1/score/image: a poster or screenshot),
`catalogue` (the red flags and legitimacy cues, the model card), `feedback` (corrections:
POST /v1/feedback, admin listing and export) and `health` (liveness,
readiness, Prometheus metrics). `tppo_screen.serving.app.create_app` includes them in that order.
"""
