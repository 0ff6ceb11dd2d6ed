FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    PLAYGROUND_DATA_DIR=/data

RUN useradd --create-home --uid 1000 app && mkdir -p /data && chown app /data
WORKDIR /home/app/playground
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY --chown=app app.py ./
COPY --chown=app playground ./playground

USER app
EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"GRADIO_SERVER_PORT\"]}/', timeout=4)"
CMD ["python", "app.py"]
