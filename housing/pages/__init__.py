"""Server-rendered pages for the three roles: the worker's room, the HR desk, the staff console.

Pages call the same service functions as the API (leasing, billing, register, audit); they
never re-implement a rule. Every asset is served by the app, every page works under the strict
Content-Security-Policy, and every form post carries the CSRF token.
"""
