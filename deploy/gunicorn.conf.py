# gunicorn settings for petition_flow (deploy/systemd/petition-flow-web.service passes
# -c /etc/petition-flow/gunicorn.conf.py). Command-line flags given there win over these.

# Behind nginx on the same machine (deploy/nginx/petition-flow.conf).
bind = "127.0.0.1:8000"
workers = 4
timeout = 120  # exports of large statistics take a while
graceful_timeout = 30

# One access line per request on standard output (the unit appends it to
# /var/log/petition-flow/web.log): the client as nginx saw it, time (+0800: TZ in the
# environment file), request, status, bytes, duration in milliseconds, browser.
accesslog = "-"
errorlog = "-"
access_log_format = '%({x-forwarded-for}i)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# gunicorn 25+ opens a control socket in the user's home; the service does not use it.
control_socket_disable = True
