// Drag a menu button onto another of the same row (top level) or column (one sub-menu): the page posts that
// group's new order, as the old positions, to /console/menu/reorder. Drag a sub-button onto a sub-button of
// another column, or onto another group's box, and it moves there (/console/menu/transfer). The arrow buttons
// and the "move to group" selects do the same by keyboard.
document.addEventListener("DOMContentLoaded", () => {
  const reorderForm = document.getElementById("reorder-form");
  const transferForm = document.getElementById("transfer-form");
  if (!reorderForm || !transferForm) return;
  let dragged = null;
  const groupOf = (el) => el.closest("[data-drop-group]")?.dataset.dropGroup;
  const isSub = (el) => el?.dataset.dragGroup?.startsWith("sub-");
  // Where a drop on ``el`` would send the dragged button: "reorder", "transfer" or nothing.
  const dropKind = (el) => {
    if (!dragged || dragged === el) return null;
    if (el.dataset.dragGroup && el.dataset.dragGroup === dragged.dataset.dragGroup) return "reorder";
    if (isSub(dragged) && groupOf(el) !== undefined && groupOf(el) !== groupOf(dragged)) return "transfer";
    return null;
  };
  const transfer = (target) => {
    const f = transferForm.elements;
    f.top.value = groupOf(dragged);
    f.sub.value = dragged.dataset.pos;
    f.to.value = groupOf(target);
    f.position.value = isSub(target) ? target.dataset.pos : "";
    transferForm.submit();
  };
  const reorder = (target) => {
    const group = target.dataset.dragGroup;
    const order = [...document.querySelectorAll(`[data-drag-group="${group}"]`)].map((item) => Number(item.dataset.pos));
    const from = order.indexOf(Number(dragged.dataset.pos));
    const to = order.indexOf(Number(target.dataset.pos));
    order.splice(to, 0, order.splice(from, 1)[0]);
    reorderForm.elements.group.value = group;
    reorderForm.elements.order.value = order.join(",");
    reorderForm.submit();
  };
  document.querySelectorAll("[data-drag-group]").forEach((el) => {
    el.setAttribute("draggable", "true");
    el.addEventListener("dragstart", (event) => {
      event.stopPropagation();
      dragged = el;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", el.dataset.pos);
    });
    el.addEventListener("dragend", () => {
      dragged = null;
      document.querySelectorAll(".drop-target").forEach((box) => box.classList.remove("drop-target"));
    });
  });
  // Buttons and whole group boxes take drops; the innermost one decides.
  document.querySelectorAll("[data-drag-group], [data-drop-group]").forEach((el) => {
    el.addEventListener("dragover", (event) => {
      const kind = dropKind(el);
      if (!kind) return;
      event.preventDefault();
      event.stopPropagation();
      const box = el.closest("[data-drop-group]");
      document.querySelectorAll(".drop-target").forEach((other) => { if (other !== box) other.classList.remove("drop-target"); });
      if (kind === "transfer") box.classList.add("drop-target");
    });
    el.addEventListener("drop", (event) => {
      const kind = dropKind(el);
      if (!kind) return;
      event.preventDefault();
      event.stopPropagation();
      if (kind === "reorder") reorder(el); else transfer(el);
    });
  });
});
