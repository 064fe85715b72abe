; A fault in code whose rbp points at a "frame" made of stack addresses: the walk stops at
; a return address outside executable code instead of printing it as a frame.
; EXPECT: memboss: ERROR: null-dereference
; EXPECT: in main
; EXPECT-NOT: (unknown module)
; EXPECT-STATUS: 139
        global  main
        section .text
main:
        sub     rsp, 40
        lea     rax, [rsp + 16]
        mov     [rsp], rax              ; the fake frame's saved rbp: a higher stack address
        lea     rax, [rsp + 8]
        mov     [rsp + 8], rax          ; its "return address": a stack address
        mov     [rsp + 16], rax
        mov     [rsp + 24], rax
        mov     rbp, rsp
        mov     qword [0x10], 1         ; the fault
        add     rsp, 40
        xor     eax, eax
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
