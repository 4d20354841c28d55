"""Backup requests: a crew asks for help, the alert widens tier by tier until someone answers,
and the check-in timer that asks a crew long on scene whether they are all right."""
