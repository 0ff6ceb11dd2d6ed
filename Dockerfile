# Veo Playground image: `docker build -t veo-playground . && docker run -p 7860:7860 veo-playground`
# (add `-e WAVE_API_KEY=...` for real videos, `-v playground-data:/data` to keep history across restarts).
FROM python:3.11-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    PLAYGROUND_DATA_DIR=/data

# The app runs as an unprivileged user; /data is the one directory it needs to write.
RUN useradd --create-home --uid 1000 app && mkdir -p /data && chown app:app /data
WORKDIR /home/app/playground

# Dependencies before the code, so editing the app does not reinstall them.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
# Root owns the code: the running app cannot change it.
COPY app.py ./
COPY playground ./playground

USER app
EXPOSE 7860
# Python's SIGINT handler lets Gradio close cleanly; as PID 1 a SIGTERM would be ignored until the kill.
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"GRADIO_SERVER_PORT\"]}/', timeout=4)"
CMD ["python", "app.py"]
