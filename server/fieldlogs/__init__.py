"""Field logs: the harm-reduction log, outreach contacts, the post-call survey and the
supervisor's debrief queue."""
