"""The chat page: streaming cited answers with source cards, a documents panel, settings and feedback.

Everything it shows comes from `RagService`, the same code the API uses. The page loads no external fonts,
scripts or analytics, so it works on a machine without internet.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI

from rag.conversations import new_id, to_markdown
from rag.retrieval import QueryError
from rag.schema import ChatTurn
from rag.service import RagService, UploadRejected
from ui.cards import CITE_JS, answer_message, render_answer, render_found, searching, spoken
from ui.owners import Owners, is_browser_id, new_browser_id
from ui.stoppable import stoppable

EXAMPLES_FILE = Path(__file__).with_name("examples.txt")
THEME = gr.themes.Soft(font=["system-ui", "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", "sans-serif"],
                       font_mono=["ui-monospace", "monospace"])
CSS = Path(__file__).with_name("chat.css").read_text(encoding="utf-8")


def load_examples() -> list[str]:
    lines = EXAMPLES_FILE.read_text(encoding="utf-8").splitlines() if EXAMPLES_FILE.exists() else []
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def build_ui(service: RagService, owners: Owners | None = None) -> gr.Blocks:
    """`owners` tells whose conversations a request may reach; without, the page is the browser's own."""
    settings = service.settings
    owners = owners or Owners(None, settings.data_dir)

    def conversation_list(owner: str, selected: str | None = None) -> Any:
        stored = service.conversations.list(owner) if owner else []
        return gr.update(choices=[(c.title, c.id) for c in stored], value=selected or None)

    def respond(message: str, history: list[dict[str, Any]], generator: str, k: float, details: bool,
                answers: list[dict[str, Any]], conversation: str, owner: str, browser: str,
                request: gr.Request) -> Iterator[tuple[Any, ...]]:
        """Each answer carries its own sources under it: first the passages found (at once, while the answer
        is written), then the ones it cites. Earlier answers keep theirs. The conversation is saved after
        each answer, so a reload or a restart loses nothing. The answer is stoppable (ui/stoppable.py): when
        Gradio closes this generator (browser gone, stop pressed), the stream is closed and the model freed."""
        if not (message or "").strip():
            yield history, "", answers, conversation, gr.skip()
            return
        conversation = conversation or new_id()
        owner = owner or owners.of(request, browser) or ""  # asked before the page's load event was done
        turns = [ChatTurn(role=m["role"], content=spoken(m["content"]))
                 for m in history if m.get("role") in ("user", "assistant")]
        history = [*history, {"role": "user", "content": message},
                   {"role": "assistant", "content": searching()}]
        yield history, "", answers, conversation, gr.skip()
        text, found, searched = "", "", []
        events = stoppable(lambda: service.stream(message, turns, generator, int(k)))
        try:
            for event in events:
                listed: Any = gr.skip()
                if event is None:  # nothing new yet: back to Gradio, which closes us if the browser left
                    yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                    continue
                if event.kind == "sources":
                    found, searched = render_found(event.sources), event.sources
                    history[-1]["content"] = found
                elif event.kind == "text":
                    text += event.text
                    history[-1]["content"] = answer_message(text, found)
                elif event.answer is not None:
                    history[-1]["content"] = render_answer(event.answer, details, searched)
                    answers = [*answers, event.answer.model_dump(mode="json")]
                    if owner and service.conversations.save(owner, conversation, history, answers):
                        listed = conversation_list(owner, conversation)
                yield history, "", answers, conversation, listed
        except QueryError as exc:
            history = history[:-2]
            gr.Warning(f"无法回答：{exc}")
            yield history, message, answers, conversation, gr.skip()
        finally:
            events.close()

    def reopen(conversation: str | None, owner: str) -> tuple[Any, ...]:
        stored = service.conversations.load(owner, conversation) if conversation and owner else None
        if stored is None:
            return [], [], "", conversation_list(owner)
        return stored.messages, stored.answers, stored.id, gr.skip()

    def latest(browser: str, request: gr.Request) -> tuple[Any, ...]:
        """A page (re)loaded comes back to its owner's conversation last worked on."""
        owner = owners.of(request, browser) or ""
        stored = service.conversations.list(owner) if owner else []
        if not stored:  # nothing to come back to: leave alone what the page already shows
            return gr.skip(), gr.skip(), gr.skip(), conversation_list(owner), owner
        messages, answers, current, _ = reopen(stored[0].id, owner)
        return messages, answers, current, conversation_list(owner, current), owner

    def export(conversation: str, owner: str) -> Any:
        """The open conversation as a Markdown file, its sources as footnotes."""
        stored = service.conversations.load(owner, conversation) if conversation and owner else None
        if stored is None:
            gr.Warning("还没有可导出的对话。")
            return gr.update(value=None, visible=False)
        path = Path(tempfile.mkdtemp(prefix="conversation-")) / f"conversation-{stored.id}.md"
        path.write_text(to_markdown(stored), encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    def rename(conversation: str, title: str, owner: str) -> tuple[Any, ...]:
        if not conversation or not owner or not service.conversations.rename(owner, conversation, title):
            return gr.skip(), title
        return conversation_list(owner, conversation), ""

    def start_new(owner: str) -> tuple[Any, ...]:
        return [], [], "", conversation_list(owner)

    def forget(conversation: str, owner: str) -> tuple[Any, ...]:
        if conversation and owner:
            service.conversations.delete(owner, conversation)
        return [], [], "", conversation_list(owner)

    def generator_status() -> tuple[Any, ...]:
        """The status line; it stops polling once no local model is being prepared."""
        status = service.generator_status()
        return status.message, gr.Timer(active=status.preparing in ("installing", "loading"))

    def feedback(data: gr.LikeData, answers: list[dict[str, Any]]) -> None:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        answer = answers[index // 2] if answers and 0 <= index // 2 < len(answers) else {}
        service.record_feedback({"kind": "rating", "liked": data.liked, "question": answer.get("question"),
                                 "answer": answer.get("answer"), "model": answer.get("model"),
                                 "citations": [c["chunk_id"] for c in answer.get("citations", [])]})

    def stopped(history: list[dict[str, Any]], answers: list[dict[str, Any]]) -> tuple[Any, Any]:
        """A stopped answer leaves nothing half-written behind: its question goes back into the box, and every
        answer left in the chat still lines up with its record (ratings find their answer by position)."""
        if len(history) >= 2 and len(history) // 2 > len(answers):
            return history[:-2], history[-2].get("content", "")
        return gr.skip(), gr.skip()

    def comment(text: str, answers: list[dict[str, Any]]) -> str:
        if not text.strip():
            return ""
        last = answers[-1] if answers else {}
        service.record_feedback({"kind": "comment", "comment": text.strip(), "question": last.get("question"),
                                 "answer": last.get("answer"), "model": last.get("model")})
        gr.Info("谢谢，反馈已记录。")
        return ""

    def document_rows() -> list[list[Any]]:
        return [[d.source, d.title, d.n_chunks, d.chars] for d in service.documents()]

    def document_choices() -> Any:
        return gr.update(choices=[d.source for d in service.documents()], value=None)

    def upload(files: list[Any] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        """`files` are paths Gradio's upload route wrote into its upload folder: the mounted page checks that
        an event names no other file (see mount_ui)."""
        if not files:
            return document_rows(), "没有选择文件。", document_choices()
        paths = [Path(item if isinstance(item, str) else item.name) for item in files]
        progress(0.3, desc="索引中（切分、向量化）……")
        outcome = service.upload([(path.name, path.read_bytes()) for path in paths])
        lines = [f"❌ {r.reason}" if r.status == "error" else f"✅ {r.source}: {r.status}, {r.chunks} 段"
                 for r in outcome]
        return document_rows(), "\n\n".join(lines), document_choices()

    def delete(source: str | None) -> tuple[Any, ...]:
        if not source:
            return document_rows(), "请选择要删除的文档。", document_choices()
        try:
            message = f"已删除 {source}。" if service.delete(source) else f"没有名为 {source} 的文档。"
        except UploadRejected as exc:
            message = str(exc)
        return document_rows(), message, document_choices()

    def reindex(progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        progress(0.1, desc="重新索引……")
        report = service.reindex()
        message = (f"重新索引完成：新增 {report.documents_added}，更新 {report.documents_updated}，未变 "
                   f"{report.documents_unchanged}，移除 {report.documents_removed}，用时 {report.seconds}s。")
        for failed in report.errors:  # failed uploads are quarantined, listed by GET /v1/documents
            message += f"\n\n❌ {Path(failed.path).name}: {failed.reason}"
        return document_rows(), message, document_choices()

    def chat_column() -> tuple[Any, ...]:
        """The conversation, the question box, examples, settings and feedback."""
        chatbot = gr.Chatbot(label="对话", show_label=False, height=560, elem_id="chat", buttons=["copy"],
                             placeholder="<b>向报告提问</b><br>例如下方的示例问题。")
        with gr.Row():
            box = gr.Textbox(placeholder="输入问题，回车发送（支持追问，如“那2032年呢？”）", show_label=False,
                             scale=8, elem_id="question", autofocus=True)
            send = gr.Button("发送", variant="primary", scale=1, elem_id="send")
            stop = gr.Button("停止", variant="stop", scale=1, elem_id="stop")
        gr.Examples(examples=[[q] for q in load_examples()], inputs=[box], label="示例问题")
        with gr.Accordion("设置", open=False):
            # `auto` follows the server: the extractive generator until the local model is ready, then it
            generator = gr.Dropdown([("自动", "auto"), *service.available_generators()], value="auto",
                                    label="生成方式", elem_id="generator")
            k = gr.Slider(1, 10, value=settings.retrieval_k, step=1, label="参考段落数")
            details = gr.Checkbox(False, label="显示检索细节（分数、耗时、校验说明）")
        with gr.Row():
            note = gr.Textbox(placeholder="对上一条回答的意见（可选）", show_label=False, scale=8,
                              elem_id="feedback-comment")
            note_send = gr.Button("提交意见", scale=1, elem_id="feedback-send")
        return chatbot, box, send, stop, generator, k, details, note, note_send

    with gr.Blocks(title="报告问答", analytics_enabled=False) as demo:
        gr.Markdown("## 报告问答\n回答只依据已索引的报告，每句话都标注出处；报告中没有的内容会直接说明。")
        status = gr.Markdown(lambda: service.generator_status().message, elem_id="generator-status")
        poll = gr.Timer(3)
        poll.tick(generator_status, None, [status, poll], show_progress="hidden")
        answers = gr.State([])
        owner = gr.State("")  # held by the server: the page cannot claim another owner's conversations
        browser = owners.browser_state()
        with gr.Tab("问答"), gr.Row():
            with gr.Column(scale=1, min_width=200, elem_id="history-panel"):
                new_chat = gr.Button("＋ 新对话", elem_id="new-chat", size="sm")
                conversations = gr.Radio([], label="对话记录", elem_id="conversations")
                with gr.Row():
                    new_name = gr.Textbox(placeholder="重命名当前对话", show_label=False, scale=3, min_width=100,
                                          elem_id="rename-chat")
                    rename_chat = gr.Button("改名", scale=1, min_width=50, size="sm", elem_id="rename-send")
                forget_chat = gr.Button("删除当前对话", elem_id="delete-chat", size="sm", variant="stop")
                export_chat = gr.Button("导出 Markdown", elem_id="export-chat", size="sm")
                exported = gr.File(label="导出的对话", visible=False, interactive=False, elem_id="exported")
            with gr.Column(scale=4):
                chatbot, box, send, stop, generator, k, details, note, note_send = chat_column()
            conversation = gr.State("")
            ask_inputs = [box, chatbot, generator, k, details, answers, conversation, owner, browser]
            ask_outputs = [chatbot, box, answers, conversation, conversations]
            asked = [box.submit(respond, ask_inputs, ask_outputs), send.click(respond, ask_inputs, ask_outputs)]
            # Gradio closes the answer's generator (model freed); the unanswered question goes back to the box
            stop.click(stopped, [chatbot, answers], [chatbot, box], cancels=asked)
            chatbot.like(feedback, [answers], None)
            note_send.click(comment, [note, answers], [note])
            opened = [chatbot, answers, conversation, conversations]
            conversations.input(reopen, [conversations, owner], opened)
            new_chat.click(start_new, [owner], opened)
            forget_chat.click(forget, [conversation, owner], opened)
            export_chat.click(export, [conversation, owner], [exported])
            rename_chat.click(rename, [conversation, new_name, owner], [conversations, new_name])
            new_name.submit(rename, [conversation, new_name, owner], [conversations, new_name])
            # a browser seen for the first time is given its id first (in an event of its own: given with the
            # other outputs, Gradio 6.31 dropped the owner's state update)
            demo.load(lambda known: known if is_browser_id(known) else new_browser_id(), [browser], [browser]).then(
                latest, [browser], [*opened, owner])
        with gr.Tab("文档"):
            table = gr.Dataframe(headers=["文件", "标题", "段落数", "字符数"], value=document_rows, interactive=False)
            files = gr.File(file_count="multiple", label="上传文档（txt、md、pdf、docx、html）")
            status = gr.Markdown()
            with gr.Row():
                chosen = gr.Dropdown([d.source for d in service.documents()], label="选择文档")
                delete_button = gr.Button("删除", variant="stop")
                reindex_button = gr.Button("重新索引")
            files.upload(upload, [files], [table, status, chosen])
            delete_button.click(delete, [chosen], [table, status, chosen])
            reindex_button.click(reindex, None, [table, status, chosen])
    return demo


def mount_ui(app: FastAPI, service: RagService) -> FastAPI:
    """Serve the chat page at / of the API's app, behind the API's key gate (rag/auth.py).

    Gradio checks that a file named in an event was received by its own upload route only in a launched
    app; a mounted one skips the check, and an upload event could then name any file on the server (issue
    9). Marking the page launched turns the check on: the upload handler only ever sees files Gradio
    received, in its upload folder. Its upload route also stops reading at the file size limit.
    """
    demo = build_ui(service, Owners(getattr(app.state, "sessions", None), service.settings.data_dir))
    mounted = gr.mount_gradio_app(app, demo, path="/", theme=THEME, css=CSS, js=CITE_JS, footer_links=[],
                                  max_file_size=service.settings.max_file_bytes)
    demo.has_launched = True
    return mounted
