"""The Vigil web frontend: a Flask app that talks to the Vigil REST API over HTTP only."""
