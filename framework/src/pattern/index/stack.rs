//! A stack that keeps its first `N` items inline, so a lookup does not allocate.

/// A LIFO stack of `Copy` items: the first `N` live in an array, more spill to a `Vec`.
pub(super) struct InlineStack<T: Copy, const N: usize> {
    inline: [Option<T>; N],
    len: usize,
    spill: Vec<T>,
}

impl<T: Copy, const N: usize> InlineStack<T, N> {
    pub(super) fn new() -> Self {
        InlineStack {
            inline: [None; N],
            len: 0,
            spill: Vec::new(),
        }
    }

    pub(super) fn push(&mut self, item: T) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = Some(item),
            None => self.spill.push(item),
        }
        self.len += 1;
    }

    pub(super) fn pop(&mut self) -> Option<T> {
        self.len = self.len.checked_sub(1)?;
        match self.inline.get_mut(self.len) {
            Some(slot) => slot.take(),
            None => self.spill.pop(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.inline
            .iter()
            .map_while(|slot| *slot)
            .chain(self.spill.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifo_across_the_spill_boundary() {
        let mut stack: InlineStack<u32, 2> = InlineStack::new();
        assert_eq!(stack.pop(), None);
        for i in 0..5 {
            stack.push(i);
        }
        assert_eq!(stack.len(), 5);
        assert_eq!(stack.iter().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert_eq!(stack.pop(), Some(4));
        assert_eq!(stack.pop(), Some(3));
        assert_eq!(stack.pop(), Some(2));
        stack.push(7);
        assert_eq!(stack.iter().collect::<Vec<_>>(), [0, 1, 7]);
        assert_eq!(stack.pop(), Some(7));
        assert_eq!(stack.pop(), Some(1));
        assert_eq!(stack.pop(), Some(0));
        assert_eq!(stack.pop(), None);
        assert_eq!(stack.len(), 0);
    }
}
