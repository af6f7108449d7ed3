// The menu button form shows only what the chosen kind uses: a key and a reply for click, a URL for view; and
// for the reply only the text boxes or the id box, with that kind's suggestions. Without script every field
// shows and the server ignores those the kind does not use.
document.addEventListener("DOMContentLoaded", () => {
  const kind = document.querySelector("[data-button-kind]");
  const replyKind = document.querySelector("[data-reply-kind]");
  const target = document.querySelector("[data-reply-fields] input[name=target]");
  const sync = () => {
    if (kind) document.querySelectorAll("[data-kind-for]").forEach((el) => { el.hidden = el.dataset.kindFor !== kind.value; });
    if (!replyKind) return;
    document.querySelectorAll("[data-reply-for]").forEach((el) => {
      el.hidden = !el.dataset.replyFor.split(" ").includes(replyKind.value);
    });
    if (target) {
      const list = ["message", "flow"].includes(replyKind.value) ? replyKind.value : "article";
      target.setAttribute("list", target.id.replace(/-target$/, "-list-") + list);
    }
  };
  kind?.addEventListener("change", sync);
  replyKind?.addEventListener("change", sync);
  sync();
});
